import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateNested,
} from 'class-validator';
import { BODY_REGIONS, PRIORITIES, type Priority, RED_FLAGS, REFERRAL_KINDS, type ReferralKind } from '@referloop/common';
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

export class CreateReferralDto {
  @IsIn(REFERRAL_KINDS)
  kind: ReferralKind;

  @IsUUID()
  patientId: string;

  /** A practitioner of the right type, in any clinic (see GET /practitioners). */
  @IsUUID()
  recipientId: string;

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
  /** Added after the referral was sent (by either side); what was attached before sending is frozen. */
  addedAfterSend: boolean;
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
  recipientId: string;
  recipient: PartySummaryDto;
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
  appointmentTimeZone: string;
  outcome: OutcomeResponseDto | null;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** What you may do now (from the state machine). */
  allowedActions: ReferralAction[];
  /** In lists only: timeline events and messages by others since you last marked the referral read (`POST /referrals/:id/read`). */
  unreadCount?: number;
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

export class PostMessageDto {
  @IsString()
  @Matches(/\S/, { message: 'body must not be blank' })
  @MaxLength(5000)
  body: string;
}

export class ReferralMessageDto {
  id: string;
  referralId: string;
  authorId: string;
  body: string;
  createdAt: string;
}

export class ReferralMessagePageDto {
  items: ReferralMessageDto[];
  nextCursor: string | null;
}
