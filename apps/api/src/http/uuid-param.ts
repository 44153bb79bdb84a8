import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { AppError } from '@referloop/common';
import { isUUID } from 'class-validator';

/** Path ids are UUIDs, taken in lower case (as `CanonicalId` keeps them in bodies); anything else is a 400 naming the parameter. */
class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!isUUID(value)) throw AppError.validation([{ field: metadata.data ?? 'id', message: 'must be a UUID' }]);
    return value.toLowerCase();
  }
}

export const uuidParam = new UuidParamPipe();
