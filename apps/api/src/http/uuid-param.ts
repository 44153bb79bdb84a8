import { ParseUUIDPipe } from '@nestjs/common';
import { AppError } from '@referloop/common';

/** Path ids are UUIDs; anything else is a 400 naming the parameter. */
export const uuidParam = new ParseUUIDPipe({
  exceptionFactory: () => AppError.validation([{ field: 'id', message: 'must be a UUID' }]),
});
