/**
 * Every coded error the API can answer, with its HTTP status. Domain code throws
 * `AppError(code, …)`; the problem+json filter reads this table, nothing else decides a status.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  invalid_transition: 409,
  stale_version: 409,
  idempotency_in_progress: 409,
  email_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  consent_required: 422,
  recipient_type_mismatch: 422,
  sender_role_mismatch: 422,
  licence_expired: 422,
  recipient_not_accepting: 422,
  red_flags_require_urgent: 422,
  not_redirectable: 422,
  idempotency_key_reused: 422,
  attachments_frozen: 422,
  emergency_advice_required: 422,
  last_admin: 422,
  webhook_limit_reached: 422,
  rate_limited: 429,
  internal_error: 500,
  not_ready: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Answers that tell the client when to try again (`Retry-After`, in seconds). */
export const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  rate_limited: 60,
  // The first request with the key is still running: a retry in a moment replays its answer.
  idempotency_in_progress: 1,
  // Capacity, not breakage: the database pool had no free connection in time.
  not_ready: 1,
};

export const ERROR_TITLES: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid',
  unauthenticated: 'Authentication is required',
  forbidden: 'You may not do this',
  not_found: 'Not found',
  invalid_transition: 'This action is not allowed in the current state',
  stale_version: 'The resource changed since you read it',
  idempotency_in_progress: 'A request with this Idempotency-Key is still in progress',
  email_taken: 'This email address is already registered',
  payload_too_large: 'The request is too large',
  unsupported_media_type: 'Unsupported content type',
  consent_required: 'The patient has not consented to referral sharing',
  recipient_type_mismatch: 'The recipient is not the right type of practitioner',
  sender_role_mismatch: 'Your role cannot send this kind of referral',
  licence_expired: 'The licence has expired',
  recipient_not_accepting: 'The recipient is not accepting referrals',
  red_flags_require_urgent: 'A referral with red flags must be urgent',
  not_redirectable: 'Only a declined, cancelled or expired referral can be redirected',
  idempotency_key_reused: 'This Idempotency-Key was used with a different request',
  attachments_frozen: 'Attachments cannot change once the referral is sent',
  emergency_advice_required: 'Tell the client to seek emergency care now, and record it, before sending',
  last_admin: 'The clinic must keep at least one active admin',
  webhook_limit_reached: 'The clinic has as many webhooks as it may have',
  rate_limited: 'Too many requests',
  internal_error: 'Internal error',
  not_ready: 'Service not ready',
};
