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
