import { plainFieldMessage } from '../lib/messages';

/** An RFC 9457 problem answered by the API, or a network failure (status 0). */
export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: FieldError[] = [],
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static fromBody(status: number, body: unknown): ApiError {
    const problem = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const code = typeof problem.code === 'string' ? problem.code : status === 404 ? 'not_found' : 'http_error';
    const detail =
      typeof problem.detail === 'string'
        ? problem.detail
        : typeof problem.title === 'string'
          ? problem.title
          : `The server answered ${status}`;
    const errors = Array.isArray(problem.errors)
      ? (problem.errors as unknown[]).filter(
          (e): e is FieldError =>
            typeof e === 'object' &&
            e !== null &&
            'field' in e &&
            typeof e.field === 'string' &&
            'message' in e &&
            typeof e.message === 'string',
        )
      : [];
    return new ApiError(status, code, detail, errors, problem);
  }

  static network(cause: unknown): ApiError {
    const error = new ApiError(0, 'network_error', 'ReferLoop cannot be reached. Check your connection and try again.');
    error.cause = cause;
    return error;
  }

  /** The message for one field (`outcome.summary`, `recipientId` …) in plain language, if the API named it. */
  fieldMessage(field: string): string | undefined {
    const found = this.fieldErrors.find((e) => e.field === field || e.field.startsWith(`${field}.`));
    return found && plainFieldMessage(found.message);
  }
}

/** A banner's text. Field errors belong next to their fields; a banner only says that some answers need fixing. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.fieldErrors.length > 0) return 'Some answers need fixing: see the messages next to the fields.';
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
