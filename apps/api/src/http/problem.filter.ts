import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, PinoNestLogger, RETRY_AFTER_SECONDS } from '@referloop/common';
import { databaseUnavailable } from '@referloop/database';
import { PROBLEM_CONTENT_TYPE, problem, toProblem } from './problem';
import { securityHeaders } from './security-headers';

const LOG_CONTEXT = 'ProblemFilter';

/** The one place where errors become HTTP answers: problem+json for everything. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), exception);
  }
}

/** Answers `exception` as problem+json; a server-side failure is logged on the request's logger (its id bound). */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, exception: unknown): void {
  const body = toProblem(exception);
  const log = () => new PinoNestLogger(request.log);
  // A saturated pool or an unreachable database is not a bug: one line per refused request, no stack.
  if (databaseUnavailable(exception)) log().warn(`503 not_ready: ${(exception as Error).message}`, LOG_CONTEXT);
  // Through the error serializer (type, code, message, stack): never a driver's parameters or detail.
  // An AppError is an answer the app chose (a 503 while it stops), not a failure to trace.
  else if (body.status >= 500 && !(exception instanceof AppError))
    log().error(exception instanceof Error ? exception : `a non-Error was thrown (${typeof exception})`, undefined, LOG_CONTEXT);
  body.instance = request.url.split('?')[0];
  body.requestId = String(request.id);
  const retryAfter = RETRY_AFTER_SECONDS[body.code];
  if (retryAfter !== undefined && !reply.hasHeader('retry-after')) reply.header('retry-after', String(retryAfter));
  void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
}

/** Node's refusals before a request exists, by its error codes: status, code and detail. */
const CLIENT_ERRORS: Record<string, [number, ErrorCode, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'payload_too_large', 'The request headers are larger than allowed'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'validation_failed', 'The request did not arrive in time'],
};

/** An API answer's headers, written by hand where no reply exists. */
const API_HEADER_LINES = Object.entries(securityHeaders(true, 'api'))
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/**
 * Fastify's `clientErrorHandler`: a request Node refused before routing (headers too large, a
 * malformed request line, a timeout) is answered with a problem document too, with a request id
 * and an API answer's headers like every other answer, then the connection closes.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'validation_failed', 'The request is malformed'];
  writeProblem(socket, status, code, detail);
  socket.destroy(error);
}

/** Writes a problem answer by hand on `socket` (no reply exists), with a new request id and an API answer's headers. */
function writeProblem(socket: Duplex, status: number, code: ErrorCode, detail: string): void {
  // The request was never read (or is not Fastify's), so a caller's own x-request-id is unknown: a new one.
  const requestId = randomUUID();
  const body = JSON.stringify({ ...problem(code, detail), status, requestId });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n${API_HEADER_LINES}` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
}

/**
 * Node's `connect` event: a CONNECT request (a client taking the API for a proxy) is answered 404
 * like any method a route does not have, instead of Node closing the connection without a word.
 */
export function answerConnectMethod(_request: IncomingMessage, socket: Duplex): void {
  writeProblem(socket, 404, 'not_found', 'Cannot CONNECT: the API is not a proxy');
  socket.end();
}

/**
 * Node's `checkExpectation`: a request whose `Expect` asks for something other than 100-continue
 * (RFC 9110 §10.1.1) is answered 417 with a problem document naming the header, like every other
 * refusal, instead of Node's 417 with no body; the connection then closes (the body may follow).
 */
export function answerUnmetExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const requestId = randomUUID();
  const message = 'must be 100-continue, or left out';
  const body = JSON.stringify({
    ...problem('validation_failed', `Expect: ${message}`, { errors: [{ field: 'Expect', message }] }),
    status: 417,
    requestId,
  });
  response.shouldKeepAlive = false;
  response.writeHead(417, {
    ...securityHeaders(true, 'api'),
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
  });
  response.end(body);
}
