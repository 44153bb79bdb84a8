import type { LoggerService } from '@nestjs/common';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { RequestContext } from '../context/request-context';

/**
 * Paths never written to logs: credentials, tokens and patient data (PHI).
 * Fastify's request serializer logs method/url/headers; bodies are never logged.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
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

export function createRootLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'referloop' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Nest's LoggerService on top of pino, so framework and app lines share one JSON format.
 * Lines written during a request carry its id (Fastify's own request lines bind it already).
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  private get logger(): Logger {
    const requestId = RequestContext.requestId();
    return requestId ? this.root.child({ reqId: requestId }) : this.root;
  }

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    if (message instanceof Error) {
      this.logger.error({ context, err: message }, message.message);
    } else {
      this.logger.error({ context, trace }, String(message));
    }
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
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
