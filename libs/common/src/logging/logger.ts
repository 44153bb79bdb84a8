import type { LoggerService } from '@nestjs/common';
import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { redactQueryStrings, redactQuoted, serializeError, serializeRequest, stackFrames } from './log-serializers';

/**
 * Paths never written to logs: credentials, tokens and patient data (PHI), should a line carry
 * such an object. Requests are logged by method and path only and errors by type, code, message
 * and stack (./log-serializers); bodies are never logged.
 */
export const REDACTED_PATHS = [
  // Any object's headers: Fastify's request, and anything a plugin logs of it.
  '*.headers.authorization',
  '*.headers.cookie',
  'req.headers["x-referloop-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.firstName',
  '*.lastName',
  '*.dateOfBirth',
  '*.reason',
  '*.observations',
  '*.note',
];

/**
 * JSON lines, except on a terminal (stdout is a TTY: someone trying the app), where the same lines
 * are printed readably. CI, containers and tests are not terminals: they keep JSON. Redaction runs
 * before either.
 */
export function createRootLogger(level = 'info', destination: pino.DestinationStream | undefined = terminalStream()): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'referloop' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // These win over Fastify's own (it merges the instance's serializers last).
    serializers: { req: serializeRequest, err: serializeError },
    // Framework lines quote request targets in their text ("Route GET:/patients?q=… not found").
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? redactQueryStrings(arg) : arg)) as Parameters<typeof method>,
        );
      },
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

function terminalStream(): pino.DestinationStream | undefined {
  if (!process.stdout.isTTY) return undefined;
  return pretty({
    sync: true,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,service,req,res,responseTime,reqId',
    messageFormat: accessLineText,
  });
}

/** A request's line on one row ("request completed GET /api/v1/me 200 3 ms"), not a dozen. */
export function accessLineText(line: Record<string, unknown>, messageKey: string): string {
  const message = typeof line[messageKey] === 'string' ? line[messageKey] : '';
  const req = line.req as { method?: string; url?: string } | undefined;
  if (!req) return message;
  const status = (line.res as { statusCode?: number } | undefined)?.statusCode;
  const time = typeof line.responseTime === 'number' ? ` ${Math.round(line.responseTime)} ms` : '';
  return `${message} ${req.method ?? ''} ${req.url ?? ''}${status ? ` ${status}` : ''}${time}`;
}

/** Nest's start-up chatter (one line per module and route): debug, so a start shows what matters. */
const FRAMEWORK_BOOT_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);
/**
 * @nestjs/typeorm warns when a second Nest context in the process registers the default data
 * source: the embedded mode's API and worker do, each in its own container, where neither can
 * override the other. Debug, not a warning on every start.
 */
const SEPARATE_CONTEXTS_DATA_SOURCE = 'DataSourceNameRegistry';

/**
 * Nest's LoggerService on top of pino, so framework and app lines share one JSON format.
 * Over a request's logger (`request.log`, which binds the request id) for lines about one request.
 * Nest's `Logger` passes `(message, ...params, context)`: an Error among them is logged as `err`
 * (through the error serializer), and a trace string by its frames only (its first line repeats
 * the error's message, which may quote a value).
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Pick<Logger, LogLevel>) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    const context = params.length > 1 || (params.length === 1 && level !== 'error') ? params.at(-1) : undefined;
    const rest = context === undefined ? params : params.slice(0, -1);
    const err = [message, ...rest].find((p): p is Error => p instanceof Error);
    const trace = rest.find((p): p is string => typeof p === 'string');
    const fields: Record<string, unknown> = { context: typeof context === 'string' ? context : undefined };
    // Nest's per-module and per-route start-up lines are detail: a start shows what matters.
    const bootChatter = level === 'info' && typeof context === 'string' && FRAMEWORK_BOOT_CONTEXTS.has(context);
    const effective = bootChatter || (level === 'warn' && context === SEPARATE_CONTEXTS_DATA_SOURCE) ? 'debug' : level;
    if (err) fields.err = err;
    else if (trace) fields.trace = stackFrames(trace);
    // A message given with a trace is an error's message: its quoted literals may be values.
    const text =
      message instanceof Error ? serializeError(message).message : trace ? redactQuoted(String(message)) : String(message);
    this.logger[effective](fields, text);
  }
}

type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A per-request child logger that is only built when a line is written. Fastify makes one child
 * (binding the request id) for every request, and with redaction configured pino runs the
 * redactor over the bindings of each child: a tenth of a small request's CPU, for a logger most
 * requests never write to. Lines that are written are the same as from `parent.child(bindings, options)`.
 */
export class DeferredChildLogger {
  private built?: Logger;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions = {},
  ) {}

  get level(): string {
    return this.built?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.logger().child(bindings, options);
  }

  private logger(): Logger {
    this.built ??= this.parent.child(this.bindings, this.options);
    return this.built;
  }

  private write(level: LogLevel, args: unknown[]): void {
    // Until built, the child's level is the parent's, unless its options set one.
    if (this.built || this.options.level !== undefined || this.parent.isLevelEnabled(level)) {
      const logger = this.logger();
      const log: (...line: unknown[]) => void = logger[level];
      log.apply(logger, args);
    }
  }
}
