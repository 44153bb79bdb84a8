import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  logger: Pick<Logger, 'error'>,
): void {
  const body = toProblem(exception);
  if (body.status >= 500) logger.error(exception instanceof Error ? exception : String(exception));
  body.instance = request.url.split('?')[0];
  body.requestId = String(request.id);
  if (body.code === 'rate_limited' && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
  void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
}
