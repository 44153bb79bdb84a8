import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppError } from '@referloop/common';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem.filter';

/**
 * The API's Fastify adapter, which knows when `app.close()` has begun: Nest calls `beforeClose`
 * first, before any shutdown hook runs and while the server and the database are still open.
 */
export class ClosingAwareFastifyAdapter extends FastifyAdapter {
  closing = false;

  override beforeClose(): void {
    this.closing = true;
    super.beforeClose();
  }
}

/**
 * Once the app has begun to close, a request that reaches it is answered 503 `not_ready` (a
 * problem, `Retry-After: 1`) with its connection closed, so the client retries on a new one (another
 * replica, or this one restarted). Requests already in progress finish as usual: Nest closes the
 * server, and only then the database, after them. Fastify's own `return503OnClosing` answered a
 * plain JSON body, not a problem, and only from the moment the server itself closed.
 */
export function refuseWhileClosing(fastify: FastifyInstance, adapter: ClosingAwareFastifyAdapter): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!adapter.closing) {
      done();
      return;
    }
    void reply.header('x-request-id', request.id).header('connection', 'close');
    sendProblem(request, reply, new AppError('not_ready', 'The server is shutting down; retry shortly'));
  });
}
