import { OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_PAGE_SIZE } from '@referloop/common';

/** Keyset paging: the opaque `nextCursor` of the previous page, and a page size (a page size of 1 to 100), as a JSON body sends them. */
export class PageBodyDto {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;
}

/** The same, shared by every list's query string, where `limit` arrives as text and is read as a number. */
export class PageQueryDto extends OmitType(PageBodyDto, ['limit'] as const) {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;
}

/** Query strings carry text: `true`/`false` become booleans, anything else is left for validation to refuse. */
export const queryBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
