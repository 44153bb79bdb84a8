import { OmitType, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  ArrayUnique,
  IsBoolean,
  IsEmail,
  IsIn,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateNested,
} from 'class-validator';
import { LANGUAGE_TAG_PATTERN, PRACTITIONER_ROLES, type PractitionerRole, SPECIALTIES } from '@referloop/common';
import { CanonicalEmail, IsCalendarDate, IsNotBlank, IsOptionalNotNull, OneLine } from '../http/validators';
import { UserResponseDto } from '../me/user.dto';
import { PageQueryDto, queryBoolean, queryDecimal } from '../http/page-query.dto';

export class LicenceDto {
  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(64)
  number: string;

  /** Licensing region (state or province), e.g. `TX`. */
  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(64)
  region: string;

  /** YYYY-MM-DD */
  @Validate(IsCalendarDate)
  expiresOn: string;
}

export class CreatePractitionerDto {
  @IsString()
  @IsEmail({}, { message: 'must be a valid email address' })
  @CanonicalEmail()
  @MaxLength(254)
  email: string;

  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(200)
  fullName: string;

  @IsIn(PRACTITIONER_ROLES)
  role: PractitionerRole;

  @IsObject()
  @ValidateNested()
  @Type(() => LicenceDto)
  licence: LicenceDto;

  // Optional but not nullable: these columns are NOT NULL (leave a field out to keep it).
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(SPECIALTIES.length)
  @ArrayUnique()
  @IsIn(SPECIALTIES, { each: true })
  specialties?: string[];

  /** BCP 47 language tags, e.g. `en`, `es`, `pt-BR`. */
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @Matches(LANGUAGE_TAG_PATTERN, { each: true, message: 'each entry must be a language tag like en or pt-BR' })
  languages?: string[];

  @IsOptionalNotNull()
  @IsBoolean()
  acceptingReferrals?: boolean;

  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(2000)
  bio?: string | null;
}

/** `null` clears `bio` only; for every other field it is a 400 (leave the field out to keep it). */
export class UpdatePractitionerDto extends PartialType(OmitType(CreatePractitionerDto, ['email', 'role'] as const), {
  skipNullProperties: false,
}) {
  /** Grant or remove admin rights (admins only; the clinic keeps at least one active admin). */
  @IsOptionalNotNull()
  @IsBoolean()
  isAdmin?: boolean;
}

export class InvitationDto {
  token: string;
  url: string;
  expiresAt: string;
}

export class InvitedPractitionerDto extends UserResponseDto {
  invitation: InvitationDto;
}

export class DirectoryItemDto extends UserResponseDto {
  /** `mine`: the caller's saved partner; `clinic`: their clinic's preferred partner. Partners are listed first. */
  partner: 'mine' | 'clinic' | null;

  /** Only with `near`: km between postal-code centroids; null when the clinic's postal code is not known. */
  distanceKm?: number | null;
}

export class PractitionerPageDto {
  items: DirectoryItemDto[];
  nextCursor: string | null;
}

/** A page of the clinic's own users (not the directory: no partner marks). */
export class MemberPageDto {
  items: UserResponseDto[];
  nextCursor: string | null;
}

/**
 * A search word as someone typed it: the spaces around it are not part of it (" jose " finds José,
 * as the patients' search does); text of only white space is then refused as empty, like any optional text.
 */
const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class DirectoryQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(PRACTITIONER_ROLES)
  type?: PractitionerRole;

  @IsOptional()
  @IsIn(SPECIALTIES)
  specialty?: string;

  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @IsNotBlank()
  @MaxLength(100)
  city?: string;

  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(12)
  postalCode?: string;

  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean({ message: 'must be true or false' })
  acceptingReferrals?: boolean;

  /** Free text over name, clinic name and bio. */
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @IsNotBlank()
  @MaxLength(100)
  q?: string;

  /** A US ZIP code or Canadian postal code (or its first three characters): items carry `distanceKm` and come nearest first. */
  @IsOptional()
  @IsString()
  @MaxLength(12)
  near?: string;

  /** With `near`: only practitioners within this many km (those whose clinic's postal code is not known are left out). */
  @IsOptional()
  @Transform(queryDecimal)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a number of kilometres' })
  @Min(1)
  @Max(5000)
  radiusKm?: number;
}
