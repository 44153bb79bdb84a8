import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode, RETRY_AFTER_SECONDS } from '@referloop/common';
import { RESPONSE_HEADERS } from './response-headers';

/** The OpenAPI answer of a status whose problems carry these codes (with `Retry-After` when one tells when to retry). */
export function problemResponse(codes: readonly string[]) {
  const retry = codes.some((code) => code in RETRY_AFTER_SECONDS);
  return {
    description: `problem+json with code ${codes.map((c) => `\`${c}\``).join(', ')}`,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    ...(retry && { headers: { 'Retry-After': RESPONSE_HEADERS['Retry-After'] } }),
  };
}

/** Documents the problem+json answers a route can give, by code. */
export function ApiProblems(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return applyDecorators(...[...byStatus].map(([status, list]) => ApiResponse({ status, ...problemResponse(list) })));
}
