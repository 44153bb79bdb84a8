import type { Socket } from 'node:net';
import { AppError } from '@referloop/common';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem.filter';

/**
 * Requests one connection may have in progress at once. HTTP/1.1 lets a client send requests
 * back to back without waiting for the answers (pipelining; browsers never do); Node parses and
 * starts every one of them at once, and only stops reading when answers pile up unread. Five
 * connections pipelining `GET /me` put some 24,000 requests in progress, queued for the database
 * pool: everyone else's requests were answered 503 for seconds, and the process grew by 100+ MiB.
 */
export const MAX_REQUESTS_IN_PROGRESS_PER_CONNECTION = 8;

/**
 * Answers a request beyond {@link MAX_REQUESTS_IN_PROGRESS_PER_CONNECTION} on its connection with
 * 429 `rate_limited` (`Retry-After: 1`) and closes the connection after it, before it reaches a
 * route: the ones already in progress finish and are answered, in order, as usual.
 */
export function limitPipelining(fastify: FastifyInstance, limit = MAX_REQUESTS_IN_PROGRESS_PER_CONNECTION): void {
  const inProgress = new WeakMap<Socket, number>();
  fastify.addHook('onRequest', (request, reply, done) => {
    const socket = request.raw.socket;
    const before = inProgress.get(socket) ?? 0;
    inProgress.set(socket, before + 1);
    // 'close' comes once the answer is sent (or the connection is gone).
    reply.raw.once('close', () => inProgress.set(socket, (inProgress.get(socket) ?? 1) - 1));
    if (before < limit) {
      done();
      return;
    }
    void reply.header('x-request-id', request.id).header('connection', 'close').header('retry-after', '1');
    sendProblem(
      request,
      reply,
      new AppError(
        'rate_limited',
        `More than ${limit} requests in progress on one connection: wait for the answers before sending more`,
      ),
    );
  });
}
