import type { HeaderObject } from '@nestjs/swagger';

/** The headers answers carry that a client acts on (docs/api.md), documented once each. */
export const RESPONSE_HEADERS = {
  ETag: {
    description: 'The referral\'s `version`, quoted (`"3"`): send it back as `If-Match` on the next write.',
    schema: { type: 'string', example: '"3"' },
  },
  'idempotent-replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', minimum: 1 },
  },
  'Content-Disposition': {
    description: '`attachment`, with the file name to save it under (no patient data in it).',
    schema: { type: 'string' },
  },
} satisfies Record<string, HeaderObject>;
