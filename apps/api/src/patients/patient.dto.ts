import { IntersectionType, OmitType, PartialType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  Validate,
  ValidateNested,
} from 'class-validator';
import { CONSENT_SCOPES, type ConsentScope, PREFERRED_CONTACTS, type PreferredContact } from '@referloop/common';
import { PageBodyDto, PageQueryDto } from '../http/page-query.dto';
import { CanonicalEmail, CanonicalId, IsNotBlank, IsPastCalendarDate, IsZonedDateTime, OneLine } from '../http/validators';

export class ConsentDto {
  @IsIn(CONSENT_SCOPES)
  scope: ConsentScope;

  /** When the patient gave the consent (defaults to now). */
  @IsOptional()
  @Validate(IsZonedDateTime)
  grantedAt?: string;
}

export class CreatePatientDto {
  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(100)
  firstName: string;

  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(100)
  lastName: string;

  /** YYYY-MM-DD */
  @Validate(IsPastCalendarDate)
  dateOfBirth: string;

  @IsOptional()
  @IsString()
  @IsEmail({}, { message: 'must be a valid email address' })
  @CanonicalEmail()
  @MaxLength(254)
  email?: string | null;

  @IsOptional()
  @IsString()
  @Matches(/^\+?[0-9 ().-]{6,24}$/, { message: 'must be a phone number' })
  phone?: string | null;

  @IsIn(PREFERRED_CONTACTS)
  preferredContact: PreferredContact;

  /** Consents recorded together with the patient. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(CONSENT_SCOPES.length)
  // @ValidateNested alone takes an array in the list for a list of consents and checks its (no) items.
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ConsentDto)
  consents?: ConsentDto[];
}

/**
 * Every field may be left out; `null` clears only the optional email and phone (the others are
 * NOT NULL columns, so `null` there is a 400, not a database error).
 */
export class UpdatePatientDto extends PartialType(OmitType(CreatePatientDto, ['consents'] as const), {
  skipNullProperties: false,
}) {}

export class PatientQueryDto extends PageQueryDto {
  /** Search over first and last name. */
  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(100)
  q?: string;
}

/** `POST /patients/search`: the same search in a JSON body, its numbers as numbers. */
export class PatientSearchDto extends IntersectionType(PageBodyDto, PickType(PatientQueryDto, ['q'] as const)) {}

export class ConsentResponseDto {
  id: string;
  scope: ConsentScope;
  grantedAt: string;
  revokedAt: string | null;
  recordedBy: string;
  /** Who withdrew it; null while it is in effect, and when the patient withdrew it (the unsubscribe link of a message to them). */
  revokedBy: string | null;
  active: boolean;
}

export class PatientResponseDto {
  id: string;
  clinicId: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string | null;
  phone: string | null;
  preferredContact: PreferredContact;
  consents: ConsentResponseDto[];
  createdAt: string;
  updatedAt: string;
}

export class PatientPageDto {
  items: PatientResponseDto[];
  nextCursor: string | null;
}

export class ImportPatientDto {
  /** A referral your clinic received: its patient summary becomes a patient of your clinic. */
  @IsUUID()
  @CanonicalId()
  referralId: string;
}
