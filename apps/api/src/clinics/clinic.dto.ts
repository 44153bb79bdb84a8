import { OmitType, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsISO31661Alpha2, IsObject, IsString, Matches, MaxLength, Validate, ValidateNested } from 'class-validator';
import { IsNotBlank, IsOptionalNotNull, IsTimezone, OneLine } from '../http/validators';

export class AddressDto {
  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(200)
  line1: string;

  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(100)
  city: string;

  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(100)
  region: string;

  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$/, { message: 'must be a postal code (letters, digits, spaces, dashes)' })
  postalCode: string;

  /** ISO 3166-1 alpha-2 country code, e.g. `US`, `CA` (stored in capitals: `us` is `US`). */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsISO31661Alpha2({ message: 'must be an ISO 3166-1 alpha-2 country code' })
  country: string;
}

export class ClinicDto {
  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @IsObject()
  @ValidateNested()
  @Type(() => AddressDto)
  address: AddressDto;

  @IsString()
  @Matches(/^\+?[0-9 ().-]{6,24}$/, { message: 'must be a phone number' })
  phone: string;

  /** IANA time zone, e.g. `America/Chicago`. */
  @Validate(IsTimezone)
  timezone: string;
}

// A patch may leave fields out; `null` is not "leave out" (every clinic column is required).
export class UpdateAddressDto extends PartialType(AddressDto, { skipNullProperties: false }) {}

export class UpdateClinicDto extends PartialType(OmitType(ClinicDto, ['address'] as const), { skipNullProperties: false }) {
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateAddressDto)
  address?: UpdateAddressDto;
}

export class AddressResponseDto extends AddressDto {}

export class ClinicResponseDto {
  id: string;
  name: string;
  address: AddressResponseDto;
  phone: string;
  timezone: string;
  createdAt: string;
  updatedAt: string;
}
