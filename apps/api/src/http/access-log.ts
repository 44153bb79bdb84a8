import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';

/**
 * One access line per request, at its end (`request completed`: method, path, status, time, and
 * `reqId` as a field), instead of Fastify's incoming/completed pair and its "route not found" line.
 * Written by the root logger: the request's own child logger is built only for the lines a handler
 * writes. A route declared silent (the liveness probe) writes none.
 */
export class AccessLog extends LogController {
  constructor(private readonly logger: Logger) {
    super({ disableRequestLogging: (request) => request.routeOptions?.logLevel === 'silent' });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = { reqId: request.id, req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime };
    if (error) this.logger.error({ ...line, err: error }, 'request errored');
    else this.logger.info(line, 'request completed');
  }
}
