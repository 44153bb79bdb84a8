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
 *
 * Node gives a response its socket only when the answers before it on the connection are sent; until
 * then it waits in line with no socket. So a request whose response has its socket has nothing ahead
 * of it (every request but a pipelined one) and costs one check; only the ones waiting in line are counted.
 */
export function limitPipelining(fastify: FastifyInstance, limit = MAX_REQUESTS_IN_PROGRESS_PER_CONNECTION): void {
  const waiting = new WeakMap<Socket, number>();
  fastify.addHook('onRequest', (request, reply, done) => {
    const response = reply.raw;
    if (response.socket) {
      done();
      return;
    }
    const socket = request.raw.socket;
    const inLine = (waiting.get(socket) ?? 0) + 1;
    waiting.set(socket, inLine);
    // Its turn: the answer before it was sent, and it is the one in progress at the head of the line.
    response.once('socket', () => waiting.set(socket, (waiting.get(socket) ?? 1) - 1));
    // In progress: the one at the head of the line and those waiting behind it, this one included.
    if (inLine + 1 <= limit) {
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
