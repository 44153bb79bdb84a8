import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RETRY_AFTER_SECONDS } from '@referloop/common';
import { isPoolWaitTimeout } from '@referloop/database';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/** The one place where errors become HTTP answers: problem+json for everything. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), exception, this.logger);
  }
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  exception: unknown,
  logger: Pick<Logger, 'error' | 'warn'>,
): void {
  const body = toProblem(exception);
  // A saturated pool is not a bug: one line per refused request, no stack.
  if (isPoolWaitTimeout(exception)) logger.warn(`503 not_ready: ${(exception as Error).message}`);
  // Through the error serializer (type, code, message, stack): never a driver's parameters or detail.
  else if (body.status >= 500)
    logger.error(exception instanceof Error ? exception : `a non-Error was thrown (${typeof exception})`);
  body.instance = request.url.split('?')[0];
  body.requestId = String(request.id);
  const retryAfter = RETRY_AFTER_SECONDS[body.code];
  if (retryAfter !== undefined && !reply.hasHeader('retry-after')) reply.header('retry-after', String(retryAfter));
  void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
}
