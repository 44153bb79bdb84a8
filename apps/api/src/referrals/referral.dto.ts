import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateNested,
} from 'class-validator';
import {
  BODY_REGIONS,
  PRACTITIONER_ROLES,
  type PractitionerRole,
  PRIORITIES,
  type Priority,
  RED_FLAGS,
  REFERRAL_KINDS,
  type ReferralKind,
} from '@referloop/common';
import { type ReferralAction, type ReferralBox, REFERRAL_STATUSES, type ReferralStatus } from '@referloop/referrals';
import { PageQueryDto } from '../http/page-query.dto';
import { IsCalendarDate, IsPastCalendarDate, IsZonedDateTime } from '../http/validators';

export class PlanDto {
  /** Weeks between maintenance sessions. */
  @IsInt()
  @Min(1)
  @Max(52)
  frequencyWeeks: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  sessions?: number | null;

  @ArrayMaxSize(BODY_REGIONS.length)
  @ArrayUnique()
  @IsIn(BODY_REGIONS, { each: true })
  focusAreas: string[];

  /** What the massage therapist must avoid or watch for. */
  @IsString()
  @MaxLength(2000)
  precautions: string;
}

/** Someone not on ReferLoop: sending the referral emails them an invitation to join. */
export class RecipientInviteDto {
  @IsEmail({}, { message: 'must be a valid email address' })
  @MaxLength(254)
  email: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  fullName: string;

  /** The recipient type of the kind: `physical_therapist` for injury_care, `massage_therapist` for maintenance_massage. */
  @IsIn(PRACTITIONER_ROLES)
  role: PractitionerRole;
}

export class CreateReferralDto {
  @IsIn(REFERRAL_KINDS)
  kind: ReferralKind;

  @IsUUID()
  patientId: string;

  /** A practitioner of the right type, in any clinic (see GET /practitioners). Exactly one of this and `recipientInvite`. */
  @IsOptional()
  @IsUUID()
  recipientId?: string;

  /** Instead of `recipientId`: someone not on ReferLoop yet, invited to join when the referral is sent. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RecipientInviteDto)
  recipientInvite?: RecipientInviteDto;

  /** Only when a clinic admin creates the referral for a practitioner of their clinic. */
  @IsOptional()
  @IsUUID()
  senderId?: string;

  @IsIn(PRIORITIES)
  priority: Priority;

  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  reason: string;

  @IsOptional()
  @ArrayMaxSize(BODY_REGIONS.length)
  @ArrayUnique()
  @IsIn(BODY_REGIONS, { each: true })
  bodyRegions?: string[];

  /** What the massage therapist saw or felt (observations, not a diagnosis). */
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  observations?: string | null;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  painLevel?: number | null;

  @IsOptional()
  @Validate(IsPastCalendarDate)
  onsetDate?: string | null;

  /** A future date (YYYY-MM-DD). */
  @IsOptional()
  @Validate(IsCalendarDate)
  neededBy?: string | null;

  /** Any red flag requires priority `urgent`. */
  @IsOptional()
  @ArrayMaxSize(RED_FLAGS.length)
  @ArrayUnique()
  @IsIn(RED_FLAGS, { each: true })
  redFlags?: string[];

  /** Required for `maintenance_massage`, refused for `injury_care`. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PlanDto)
  plan?: PlanDto | null;

  /** Redirects a declined, cancelled or expired referral. */
  @IsOptional()
  @IsUUID()
  replacesId?: string | null;
}

export class OutcomeDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(10_000)
  summary: string;

  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  recommendations?: string | null;
}

/** Body of every referral action. Which fields an action takes is listed in GET /reference-data. */
export class ReferralActionDto {
  /** The version you read (or send it as `If-Match`). */
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(10_000)
  note?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  reason?: string;

  @IsOptional()
  @Validate(IsZonedDateTime)
  appointmentAt?: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => OutcomeDto)
  outcome?: OutcomeDto;
}

export class ReassignReferralDto {
  /** The active practitioner of your clinic, of the role your side needs, who takes it over. */
  @IsUUID()
  practitionerId: string;

  /** The version you read (optional; or send it as `If-Match`). */
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}

const commaList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

export class ReferralQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(['sent', 'received', 'clinic'])
  box?: ReferralBox;

  /** One status or a comma-separated list. */
  @IsOptional()
  @Transform(commaList)
  @ArrayMaxSize(REFERRAL_STATUSES.length)
  @IsIn(REFERRAL_STATUSES, { each: true })
  status?: ReferralStatus[];

  @IsOptional()
  @IsIn(REFERRAL_KINDS)
  kind?: ReferralKind;

  @IsOptional()
  @IsUUID()
  patientId?: string;

  @IsOptional()
  @Validate(IsZonedDateTime)
  updatedSince?: string;
}

export class PartySummaryDto {
  id: string;
  fullName: string;
  role: string;
  clinicId: string;
  clinicName: string;
}

export class PatientSummaryDto {
  id: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string | null;
  phone: string | null;
  preferredContact: string;
}

export class ReferralEventDto {
  id: string;
  referralId: string;
  type: string;
  fromStatus: string | null;
  toStatus: string;
  /** Null when the system acted. */
  actorId: string | null;
  reason: string | null;
  note: string | null;
  data: Record<string, unknown> | null;
  occurredAt: string;
}

export class AttachmentDto {
  id: string;
  referralId: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  uploadedBy: string;
  createdAt: string;
}

export class RecipientInviteResponseDto {
  email: string;
  fullName: string;
  role: string;
  status: 'pending' | 'joined';
  /** The single-use join link while pending (for the sender to hand over); null once joined. */
  url: string | null;
}

export class InvitationTokenDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  token: string;
}

export class RecipientInviteLookupDto {
  email: string;
  fullName: string;
  role: string;
}

export class OutcomeResponseDto {
  summary: string;
  recommendations: string | null;
  sentAt: string;
}

export class ReferralResponseDto {
  id: string;
  kind: string;
  status: string;
  version: number;
  patientId: string;
  patient: PatientSummaryDto;
  senderId: string;
  sender: PartySummaryDto;
  /** Null while the recipient is someone invited who has not joined yet. */
  recipientId: string | null;
  recipient: PartySummaryDto | null;
  /** Only for the sender's side, on a referral to someone not on ReferLoop. */
  recipientInvite?: RecipientInviteResponseDto;
  priority: string;
  reason: string;
  bodyRegions: string[];
  observations: string | null;
  painLevel: number | null;
  onsetDate: string | null;
  neededBy: string | null;
  redFlags: string[];
  plan: PlanDto | null;
  replacesId: string | null;
  appointmentAt: string | null;
  /** The recipient clinic's IANA time zone (e.g. `America/Denver`): where the appointment happens; show it in this zone, named. */
  appointmentTimeZone: string | null;
  outcome: OutcomeResponseDto | null;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** What you may do now (from the state machine). */
  allowedActions: ReferralAction[];
  timeline?: ReferralEventDto[];
  attachments?: AttachmentDto[];
}

export class ReferralPageDto {
  items: ReferralResponseDto[];
  nextCursor: string | null;
}

export class ReferralEventPageDto {
  items: ReferralEventDto[];
  nextCursor: string | null;
}
