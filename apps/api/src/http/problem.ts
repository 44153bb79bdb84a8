import { HttpException } from '@nestjs/common';
import { AppError, ERROR_STATUS, ERROR_TITLES, type ErrorCode } from '@referloop/common';
import { databaseUnavailable } from '@referloop/database';

/** RFC 9457 problem document, the body of every error answer. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'not_ready',
};

/** Fastify's own errors (body parsing, content type, limits) by their codes; a 400 or 415 names what it is about (`field`). */
const FASTIFY_CODES: Record<string, { code: ErrorCode; detail: string; field?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', detail: 'The request body is larger than allowed' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    detail: 'Send the body as application/json',
    field: 'Content-Type',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'validation_failed',
    detail: 'The Content-Length header does not match the body',
    field: 'Content-Length',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'validation_failed', detail: 'The body is not valid JSON', field: 'body' },
  // The router's: neither echoes the path, which may hold a token or a name.
  FST_ERR_BAD_URL: { code: 'validation_failed', detail: 'The URL is not valid (a malformed %-escape)', field: 'path' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'not_found', detail: 'No such resource: a part of the path is longer than any id' },
};

/** 415: the body comes in a form the route does not read; `header` names what to change, as a 400 names its field. */
export function unsupportedMediaType(
  header: 'Content-Type' | 'Content-Encoding' | 'Transfer-Encoding',
  detail: string,
): AppError {
  return new AppError('unsupported_media_type', detail, { errors: [{ field: header, message: detail }] });
}

/** One of Fastify's (or its plugins') own errors, by its `FST_` code. */
const isFastifyError = (error: unknown): boolean =>
  typeof (error as { code?: unknown })?.code === 'string' && (error as { code: string }).code.startsWith('FST_');

export function problem(code: ErrorCode, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return {
    type: `urn:referloop:problem:${code}`,
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    detail,
    code,
    ...extensions,
  };
}

/**
 * Turns anything thrown into a problem document. Unknown errors become a 500 whose detail
 * reveals nothing; the caller logs the original.
 */
export function toProblem(error: unknown): Problem {
  if (error instanceof AppError) return problem(error.code, error.message, error.extensions);
  // Nest hands Fastify's own 4xx errors (a body that is not JSON, too large) over as an HttpException with the original as `cause`.
  if (error instanceof HttpException && isFastifyError(error.cause)) return toProblem(error.cause);

  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
    const response = error.getResponse();
    const message = typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? error.message);
    const detail =
      status >= 500
        ? ERROR_TITLES.internal_error
        : Array.isArray(message)
          ? message.join('; ')
          : typeof message === 'string'
            ? message
            : error.message;
    return { ...problem(code, detail), status };
  }

  const unavailable = databaseUnavailable(error);
  if (unavailable === 'busy') return problem('not_ready', 'The service is busy right now; retry shortly');
  if (unavailable === 'unreachable') return problem('not_ready', 'The database cannot be reached right now; retry shortly');

  const fastifyError = error as { code?: string; statusCode?: number; message?: string; name?: string };
  if (fastifyError?.code && FASTIFY_CODES[fastifyError.code]) {
    const known = FASTIFY_CODES[fastifyError.code];
    return problem(known.code, known.detail, known.field ? { errors: [{ field: known.field, message: known.detail }] } : {});
  }
  if (error instanceof SyntaxError || fastifyError?.name === 'SyntaxError') {
    return problem('validation_failed', 'The body is not valid JSON', {
      errors: [{ field: 'body', message: 'is not valid JSON' }],
    });
  }
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'validation_failed';
    return { ...problem(code, fastifyError.message ?? ERROR_TITLES[code]), status };
  }
  return problem('internal_error', 'An unexpected error occurred; it has been logged');
}
