import { Transform, Type } from 'class-transformer';
import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsEmail,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  Validate,
  type ValidationArguments,
  ValidateIf,
  ValidateNested,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import {
  BODY_REGIONS,
  PRACTITIONER_ROLES,
  type PractitionerRole,
  CONTRAINDICATIONS,
  type Pressure,
  PRESSURES,
  PRIORITIES,
  type Priority,
  RED_FLAGS,
  REFERRAL_KINDS,
  type ReferralAction,
  type ReferralKind,
} from '@referloop/common';
import {
  FOLLOW_UP_FORM_FIELDS,
  PROGRESS_TOLERANCES,
  type ProgressTolerance,
  type ReferralBox,
  REFERRAL_SORTS,
  REFERRAL_STATUSES,
  type ReferralSort,
  type ReferralStatus,
  type ReferralView,
} from '@referloop/referrals';
import { PageQueryDto } from '../http/page-query.dto';
import {
  CanonicalEmail,
  CanonicalId,
  HasAtMostDecimals,
  IsCalendarDate,
  IsNotBlank,
  IsPastCalendarDate,
  IsZonedDateTime,
  OneLine,
} from '../http/validators';

/** A plan gives exactly one of the two frequencies (each is otherwise validated on its own). */
@ValidatorConstraint({ name: 'oneFrequency' })
class OneFrequency implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    const plan = args.object as PlanDto;
    return (plan.frequencyWeeks == null) !== (plan.sessionsPerWeek == null);
  }
  defaultMessage(args: ValidationArguments): string {
    const plan = args.object as PlanDto;
    return plan.sessionsPerWeek == null
      ? 'give frequencyWeeks (every N weeks) or sessionsPerWeek'
      : 'give either frequencyWeeks or sessionsPerWeek, not both';
  }
}

/** A maintenance plan: exactly one of `frequencyWeeks` or `sessionsPerWeek`. */
export class PlanDto {
  /** Every N weeks (1–52). Give this or `sessionsPerWeek`. */
  @ValidateIf((plan: PlanDto) => plan.frequencyWeeks != null || plan.sessionsPerWeek == null)
  @IsInt()
  @Min(1)
  @Max(52)
  @Validate(OneFrequency)
  frequencyWeeks?: number | null;

  /** Sessions a week (1–7). Give this or `frequencyWeeks`. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(7)
  sessionsPerWeek?: number | null;

  /** Total sessions; leave out for ongoing maintenance. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  sessions?: number | null;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(104)
  durationWeeks?: number | null;

  /** When the plan should be reviewed (YYYY-MM-DD). */
  @IsOptional()
  @Validate(IsCalendarDate)
  reviewBy?: string | null;

  /** Short goals, at most 10 of 200 characters. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @IsNotBlank({ each: true })
  @MaxLength(200, { each: true })
  goals?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(BODY_REGIONS.length)
  @ArrayUnique()
  @IsIn(BODY_REGIONS, { each: true })
  focusAreas?: string[];

  @IsIn(PRESSURES)
  pressure: Pressure;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(CONTRAINDICATIONS.length)
  @ArrayUnique()
  @IsIn(CONTRAINDICATIONS, { each: true })
  contraindications?: string[];

  /** What the massage therapist must avoid or watch for (required, not blank). */
  @IsString()
  @IsNotBlank()
  @MaxLength(2000)
  precautions: string;

  /** How often (weeks) the massage therapist reports progress back. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(52)
  reportEveryWeeks?: number | null;
}

export class PlanResponseDto {
  frequencyWeeks: number | null;
  sessionsPerWeek: number | null;
  sessions: number | null;
  durationWeeks: number | null;
  reviewBy: string | null;
  goals: string[];
  focusAreas: string[];
  /** Null only on plans written before pressure was asked for. */
  pressure: Pressure | null;
  contraindications: string[];
  precautions: string;
  reportEveryWeeks: number | null;
}

/** Someone not on ReferLoop: sending the referral emails them an invitation to join. */
export class RecipientInviteDto {
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

  /** The recipient type of the kind: `physical_therapist` for injury_care, `massage_therapist` for maintenance_massage. */
  @IsIn(PRACTITIONER_ROLES)
  role: PractitionerRole;
}

export class CreateReferralDto {
  @IsIn(REFERRAL_KINDS)
  kind: ReferralKind;

  @IsUUID()
  @CanonicalId()
  patientId: string;

  /** A practitioner of the right type, in any clinic (see GET /practitioners). Exactly one of this and `recipientInvite`. */
  @IsOptional()
  @IsUUID()
  @CanonicalId()
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
  @CanonicalId()
  senderId?: string;

  @IsIn(PRIORITIES)
  priority: Priority;

  @IsString()
  @IsNotBlank()
  @MaxLength(2000)
  reason: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(BODY_REGIONS.length)
  @ArrayUnique()
  @IsIn(BODY_REGIONS, { each: true })
  bodyRegions?: string[];

  /** What the massage therapist saw or felt (observations, not a diagnosis). */
  @IsOptional()
  @IsString()
  @IsNotBlank()
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
  @IsArray()
  @ArrayMaxSize(RED_FLAGS.length)
  @ArrayUnique()
  @IsIn(RED_FLAGS, { each: true })
  redFlags?: string[];

  /**
   * The sender told the client to seek emergency care now. Sending a referral whose red flags include
   * an emergency sign (`saddle_numbness`, `bladder_bowel_change`, `calf_swelling_redness`) needs it.
   */
  @IsOptional()
  @IsBoolean()
  emergencyAdviceGiven?: boolean;

  /** Required for `maintenance_massage`, refused for `injury_care`. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PlanDto)
  plan?: PlanDto | null;

  /** Redirects a declined, cancelled or expired referral. */
  @IsOptional()
  @IsUUID()
  @CanonicalId()
  replacesId?: string | null;
}

/** Present, and not null: for the fields of an edit that cannot be cleared. */
const given = (_object: object, value: unknown) => value !== undefined;

/** A list column is never NULL: an edit clears it with `null` or `[]` alike. */
const emptyForNull = ({ value }: { value: unknown }) => (value === null ? [] : value);

/**
 * An edit of a draft (`PATCH /referrals/:id`): the fields to change, as a create takes them (left
 * out: unchanged; `null` clears an optional field), and the version you read. The sender and
 * `replacesId` are fixed when the draft is made (an admin hands a draft over with reassign).
 */
export class UpdateReferralDto {
  /** The version you read (or send it as `If-Match`). */
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ValidateIf(given)
  @IsIn(REFERRAL_KINDS)
  kind?: ReferralKind;

  @ValidateIf(given)
  @IsUUID()
  @CanonicalId()
  patientId?: string;

  /** A practitioner of the right type (see GET /practitioners); replaces an invited recipient. */
  @ValidateIf(given)
  @IsUUID()
  @CanonicalId()
  recipientId?: string;

  /** Someone not on ReferLoop yet, invited to join when the referral is sent; replaces `recipientId`. */
  @ValidateIf(given)
  @IsObject()
  @ValidateNested()
  @Type(() => RecipientInviteDto)
  recipientInvite?: RecipientInviteDto;

  @ValidateIf(given)
  @IsIn(PRIORITIES)
  priority?: Priority;

  @ValidateIf(given)
  @IsString()
  @IsNotBlank()
  @MaxLength(2000)
  reason?: string;

  /** `null` clears the list, as `[]` does. */
  @Transform(emptyForNull)
  @ApiPropertyOptional({ nullable: true, type: 'array', items: { type: 'string', enum: [...BODY_REGIONS] } })
  @ValidateIf(given)
  @IsArray()
  @ArrayMaxSize(BODY_REGIONS.length)
  @ArrayUnique()
  @IsIn(BODY_REGIONS, { each: true })
  bodyRegions?: string[];

  @IsOptional()
  @IsString()
  @IsNotBlank()
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

  /** Any red flag requires priority `urgent`; `null` clears the list, as `[]` does. */
  @Transform(emptyForNull)
  @ApiPropertyOptional({ nullable: true, type: 'array', items: { type: 'string', enum: [...RED_FLAGS] } })
  @ValidateIf(given)
  @IsArray()
  @ArrayMaxSize(RED_FLAGS.length)
  @ArrayUnique()
  @IsIn(RED_FLAGS, { each: true })
  redFlags?: string[];

  /** The sender told the client to seek emergency care now (needed to send with an emergency red flag). */
  @ValidateIf(given)
  @IsBoolean()
  emergencyAdviceGiven?: boolean;

  /** The whole plan (replaces the previous one); `null` removes it. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PlanDto)
  plan?: PlanDto | null;
}

export class OutcomeDto {
  @IsString()
  @IsNotBlank()
  @MaxLength(10_000)
  summary: string;

  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(10_000)
  recommendations?: string | null;

  /** Pain at discharge, 0–10. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  painLevel?: number | null;

  /** Patient-Specific Functional Scale average, 0–10. */
  @IsOptional()
  @HasAtMostDecimals(2)
  @Min(0)
  @Max(10)
  psfs?: number | null;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  visits?: number | null;

  /** Shows the PT "Recommend maintenance massage" as the next step. */
  @IsOptional()
  @IsBoolean()
  recommendMaintenance?: boolean | null;
}

/** A progress report of the referral's recipient (`report-progress`). */
export class ProgressDto {
  /** Sessions completed since the last report (or since care began). */
  @IsInt()
  @Min(0)
  @Max(1000)
  sessionsCompleted: number;

  /** The client's pain today, 0–10. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  painLevel?: number | null;

  /** Patient-Specific Functional Scale average, 0–10. */
  @IsOptional()
  @HasAtMostDecimals(2)
  @Min(0)
  @Max(10)
  psfs?: number | null;

  /** How the client tolerated the sessions. */
  @IsIn(PROGRESS_TOLERANCES)
  tolerance: ProgressTolerance;

  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(10_000)
  note?: string | null;
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
  @IsNotBlank()
  @MaxLength(10_000)
  note?: string;

  @IsOptional()
  @IsString()
  @IsNotBlank()
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

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ProgressDto)
  progress?: ProgressDto;
}

/** Besides its own fields, a follow-up takes these of a create, so the whole form makes one draft. */
export class FollowUpDto extends PickType(UpdateReferralDto, FOLLOW_UP_FORM_FIELDS) {
  /** The massage therapist to refer to; by default the sender of the injury referral, when they are one. */
  @IsOptional()
  @IsUUID()
  @CanonicalId()
  recipientId?: string;

  /** Instead of `recipientId`: a massage therapist not on ReferLoop yet, invited to join when the referral is sent. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RecipientInviteDto)
  recipientInvite?: RecipientInviteDto;

  /** The maintenance plan; may be completed on the draft before sending. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PlanDto)
  plan?: PlanDto;

  /** Why maintenance massage; a plain default when left out. */
  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(2000)
  reason?: string;

  /** Notes for the massage therapist. */
  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(10_000)
  observations?: string;
}

export class ReassignReferralDto {
  /** The active practitioner of your clinic, of the role your side needs, who takes it over. */
  @IsUUID()
  @CanonicalId()
  practitionerId: string;

  /** The version you read (or send it as `If-Match`; one of the two is required). */
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}

export class ResendInviteDto {
  /** The version you read (or send it as `If-Match`; one of the two is required). */
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}

/** `a,b` → `['a', 'b']`; an empty item (`status=` or `status=sent,,`) stays, for validation to refuse. */
const commaList = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value);

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
  @CanonicalId()
  patientId?: string;

  @IsOptional()
  @Validate(IsZonedDateTime)
  updatedSince?: string;

  /** `updated` (default): last change first. `priority`: urgent first, then last change first. */
  @IsOptional()
  @IsIn(REFERRAL_SORTS)
  sort?: ReferralSort;
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
  fromStatus: ReferralStatus | null;
  toStatus: ReferralStatus;
  /** Null when the system acted. */
  actorId: string | null;
  /** Who acted, by name, as they are named now; null when the system acted. */
  actorName: string | null;
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
  /** Who added it, by name, as they are named now (whatever their part in the referral today). */
  uploadedByName: string;
  createdAt: string;
  /** Added after the referral was sent (by either side); what was attached before sending is frozen. */
  addedAfterSend: boolean;
}

export class RecipientInviteResponseDto {
  email: string;
  fullName: string;
  role: string;
  status: 'pending' | 'joined';
  /** The single-use join link while pending (for the sender to hand over); null once joined. */
  url: string | null;
}

export class RecipientInviteLookupDto {
  email: string;
  fullName: string;
  role: string;
}

export class OutcomeResponseDto {
  summary: string;
  recommendations: string | null;
  painLevel: number | null;
  psfs: number | null;
  visits: number | null;
  recommendMaintenance: boolean;
  sentAt: string;
}

export class ReporterDto {
  id: string;
  fullName: string;
}

export class ProgressResponseDto {
  id: string;
  sessionsCompleted: number;
  painLevel: number | null;
  psfs: number | null;
  tolerance: ProgressTolerance;
  note: string | null;
  reportedAt: string;
  reportedBy: ReporterDto;
}

export class ReferralResponseDto {
  id: string;
  kind: ReferralKind;
  status: ReferralStatus;
  /** Raised by one at every change; send it back (`version` or `If-Match`) on the next write. */
  @ApiProperty({ type: 'integer', minimum: 1 })
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
  priority: Priority;
  reason: string;
  bodyRegions: string[];
  observations: string | null;
  painLevel: number | null;
  onsetDate: string | null;
  neededBy: string | null;
  redFlags: string[];
  /** The sender recorded that they told the client to seek emergency care now. */
  emergencyAdviceGiven: boolean;
  plan: PlanResponseDto | null;
  /** The declined, cancelled or expired referral this one redirects. */
  replacesId: string | null;
  /** The redirect made of this declined, cancelled or expired referral (a cancelled redirect does not count); null to the recipient side. */
  replacedById: string | null;
  /** The injury referral this one follows up. */
  previousId: string | null;
  /** The follow-up referrals of this one that you may see. */
  followUpIds: string[];
  appointmentAt: string | null;
  /** The recipient clinic's IANA time zone (e.g. `America/Denver`): where the appointment happens; show it in this zone, named. */
  appointmentTimeZone: string | null;
  outcome: OutcomeResponseDto | null;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** What you may do now (from the state machine). */
  allowedActions: ReferralAction[];
  /** In lists only: timeline events and messages by others since you last marked the referral read (`POST /referrals/:id/read`). */
  unreadCount?: number;
  /**
   * On a single referral and action answers: its latest 100 events (messages included), oldest
   * first. `GET /referrals/:id/events` pages through all of them.
   */
  timeline?: ReferralEventDto[];
  /** With `timeline`: true when the referral has earlier events than the 100 it holds (read them at `GET /referrals/:id/events`). */
  timelineTruncated?: boolean;
  attachments?: AttachmentDto[];
  /**
   * On a single referral and action answers (not in lists): its latest 100 progress reports, oldest
   * first. `GET /referrals/:id/progress` pages through all of them.
   */
  progress?: ProgressResponseDto[];
  /** With `progress`: true when the referral has earlier reports than the 100 it holds (read them at `GET /referrals/:id/progress`). */
  progressTruncated?: boolean;
}

/**
 * Compile-time check that the answer documents exactly what the service answers: every field of
 * `ReferralView` is in `ReferralResponseDto` and no other (a field added to the column registry
 * and not here fails the build), and each view value fits its documented type.
 */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
type AssertTrue<T extends true> = T;
type Fits<A extends B, B> = A;
export type ReferralResponseDocumentsView = [
  AssertTrue<SameKeys<ReferralResponseDto, ReferralView>>,
  Fits<ReferralView, ReferralResponseDto>,
];

export class ReferralPageDto {
  items: ReferralResponseDto[];
  nextCursor: string | null;
}

export class ReferralEventPageDto {
  items: ReferralEventDto[];
  nextCursor: string | null;
}

export class ProgressPageDto {
  items: ProgressResponseDto[];
  nextCursor: string | null;
}

export class PostMessageDto {
  @IsString()
  @IsNotBlank()
  @MaxLength(5000)
  body: string;
}

export class ReferralMessageDto {
  id: string;
  referralId: string;
  authorId: string;
  /** The author's name, as they are named now. */
  authorName: string | null;
  body: string;
  createdAt: string;
}

export class ReferralMessagePageDto {
  items: ReferralMessageDto[];
  nextCursor: string | null;
}
