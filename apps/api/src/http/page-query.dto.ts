import { ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_PAGE_SIZE } from '@referloop/common';

/** Keyset paging: the opaque `nextCursor` of the previous page, and a page size (a page size of 1 to 100), as a JSON body sends them. */
export class PageBodyDto {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;
}

/** `limit` as a query string writes it: decimal digits only ("1e2", "0x10" and " 5" stay text, and are refused). */
const decimalDigits = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;

/** The same, shared by every list's query string, where `limit` arrives as text and is read as a number. */
export class PageQueryDto extends OmitType(PageBodyDto, ['limit'] as const) {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE })
  @IsOptional()
  @Transform(decimalDigits)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;
}

/** A number as a query string writes it: decimal only ("1e3", "0x10", " 5" and "" stay text, and are refused). */
export const queryDecimal = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d{1,9}(\.\d{1,9})?$/.test(value) ? Number(value) : value;

/** Query strings carry text: `true`/`false` become booleans, anything else is left for validation to refuse. */
export const queryBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
