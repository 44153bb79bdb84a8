import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';

/**
 * One access line per request, at its end (`request completed`: method, path, status, time, and
 * `reqId` as a field), instead of Fastify's incoming/completed pair and its "route not found" line.
 * Written by the root logger: the request's own child logger is built only for the lines a handler
 * writes. A route declared silent (the liveness probe) writes none.
 */
export class AccessLog extends LogController {
  /**
   * The root logger without its redaction: the completed line holds only fixed fields and the
   * request serializer's output (a path already stripped of anything but route words and ids), and
   * the redactor's wildcard paths cost more than the rest of the line. An error still goes through
   * the redacting logger: its message is not ours to vouch for.
   */
  private readonly completedLog: Logger;

  constructor(private readonly logger: Logger) {
    super({ disableRequestLogging: (request) => request.routeOptions?.logLevel === 'silent' });
    this.completedLog = logger.child({}, { redact: [] });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = { reqId: request.id, req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime };
    if (error) this.logger.error({ ...line, err: error }, 'request errored');
    else this.completedLog.info(line, 'request completed');
  }
}
