import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiHeader } from '@nestjs/swagger';
import { AppError } from '@referloop/common';
import type { IdempotencyStore, IdempotentOperation } from '@referloop/referrals';
import type { FastifyReply } from 'fastify';
import type { EntityManager } from 'typeorm';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The optional `Idempotency-Key` header of a create whose repeat answers `idempotent-replayed` (see {@link idempotently}). */
const IDEMPOTENCY_KEY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'Up to 255 visible ASCII characters, unique per request you mean. The same key and body answer the first answer again ' +
    '(header `idempotent-replayed: true`); the same key with another body or request is 422 `idempotency_key_reused`.',
};

/**
 * Marks an operation whose repeat answers `idempotent-replayed`, for the document to declare that
 * header (the refresh takes an `Idempotency-Key` of its own meaning and does not send it).
 */
export const IDEMPOTENT_CREATE_EXTENSION = 'x-idempotent-create';

/** Documents the optional `Idempotency-Key` header of a create. */
export const ApiIdempotencyKey = (): MethodDecorator =>
  applyDecorators(ApiHeader(IDEMPOTENCY_KEY_HEADER), ApiExtension(IDEMPOTENT_CREATE_EXTENSION, true));

/** The request's `Idempotency-Key`, checked (400 naming the header); undefined when it has none. */
export function idempotencyKey(key: string | undefined): string | undefined {
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw AppError.validation([{ field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }]);
  }
  return key;
}

/**
 * Runs a create once per `Idempotency-Key` of the caller (without a key, simply runs it): a repeat
 * answers the stored status and body, marked `idempotent-replayed: true`.
 */
export async function idempotently<T>(
  store: IdempotencyStore,
  userId: string,
  key: string | undefined,
  request: { operation: IdempotentOperation; body: unknown },
  reply: FastifyReply,
  status: number,
  work: (tx?: EntityManager) => Promise<T>,
): Promise<T> {
  const checked = idempotencyKey(key);
  if (checked === undefined) return work();
  const result = await store.run(userId, checked, request, status, work);
  if (result.replayed) void reply.header('idempotent-replayed', 'true');
  void reply.status(result.status);
  return result.body;
}
