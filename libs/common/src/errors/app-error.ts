import { ERROR_STATUS, ERROR_TITLES, type ErrorCode } from './error-codes';

export interface FieldError {
  field: string;
  message: string;
}

/** A domain or request error carrying a stable code; mapped to problem+json in one place. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    /** Extra members for the problem document, e.g. `errors`, `currentStatus`, `allowedActions`. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? ERROR_TITLES[code]);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static validation(errors: FieldError[], detail?: string): AppError {
    return new AppError('validation_failed', detail ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
}

export const notFound = (what = 'resource'): AppError => new AppError('not_found', `The ${what} was not found`);
