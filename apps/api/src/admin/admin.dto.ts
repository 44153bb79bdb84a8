import { IsIn, IsOptional, IsUUID, Validate } from 'class-validator';
import { AUDIT_ACTIONS, type AuditAction } from '@referloop/common';
import { AUDIT_FILTER_RESOURCES, type AuditFilterResource } from '@referloop/identity';
import { PageQueryDto } from '../http/page-query.dto';
import { CanonicalId, IsDateOrZonedDateTime } from '../http/validators';

/**
 * A time window [from, to): ISO 8601 date-times with a zone, or calendar dates (days in your
 * clinic's zone); `to` defaults to now, `from` to 30 days before `to`.
 */
export class TimeWindowQueryDto {
  /** Inclusive start, e.g. 2026-03-01T00:00:00Z, or 2026-03-01 (from that day's start). Must not be after `to`. */
  @IsOptional()
  @Validate(IsDateOrZonedDateTime)
  from?: string;

  /** Exclusive end, e.g. 2026-04-01T00:00:00Z, or 2026-03-31 (that whole day included). */
  @IsOptional()
  @Validate(IsDateOrZonedDateTime)
  to?: string;
}

export class OverdueQueryDto extends PageQueryDto {
  /** Only referrals your clinic sent, or only those it received. Both when left out. */
  @IsOptional()
  @IsIn(['sent', 'received'])
  box?: 'sent' | 'received';
}

export class AuditEventQueryDto extends PageQueryDto {
  @IsOptional()
  @IsUUID()
  @CanonicalId()
  actorId?: string;

  /** One of the audit log's actions (`auditActions` in `GET /reference-data`), e.g. `referral.read`. */
  @IsOptional()
  @IsIn(AUDIT_ACTIONS, {
    message: 'must be an audit action such as referral.read (the list: auditActions in GET /reference-data)',
  })
  action?: AuditAction;

  /**
   * What the events are about. `attachment` and `consent` find the events on a referral's
   * attachments and a patient's consents, which are filed under their referral and their patient
   * (their `resourceType` and `resourceId`).
   */
  @IsOptional()
  @IsIn(AUDIT_FILTER_RESOURCES)
  resourceType?: AuditFilterResource;

  @IsOptional()
  @IsUUID()
  @CanonicalId()
  resourceId?: string;

  /** Inclusive; a date is from that day's start in your clinic's zone. */
  @IsOptional()
  @Validate(IsDateOrZonedDateTime)
  from?: string;

  /** Exclusive; a date includes that whole day. */
  @IsOptional()
  @Validate(IsDateOrZonedDateTime)
  to?: string;
}

/** Count of referrals in each status (every status is present, 0 when none). */
export class StatusCountsDto {
  draft: number;
  sent: number;
  received: number;
  info_requested: number;
  accepted: number;
  scheduled: number;
  in_care: number;
  outcome_sent: number;
  closed: number;
  declined: number;
  cancel_requested: number;
  cancelled: number;
  expired: number;
}

export class LeakageDto {
  /** Sent referrals that left the loop: declined + expired + cancelled after sending (a cancelled draft is not leakage). */
  count: number;
  /** count / decided, 0 to 1 (4 decimals); null when nothing was decided. */
  rate: number | null;
  declined: number;
  expired: number;
  /** Cancelled after sending (before or after acceptance). */
  cancelled: number;
}

/**
 * Figures for one group of referrals. Definitions:
 * - **decided**: sent and no longer awaiting the recipient's decision, i.e. accepted at some point
 *   (whatever happened after, cancellation included), declined, expired, or cancelled after sending.
 *   Drafts and referrals still `sent`/`received`/`info_requested` are not decided.
 * - **closedLoop**: the outcome reached the sender (status `outcome_sent` or `closed`).
 * - **closedLoopRate** = closedLoop / decided. **leakage.rate** = leakage.count / decided.
 * - **overdue**: still awaiting a decision and the response-SLA time (since sending, without the time
 *   in `info_requested`) has reached the escalation threshold of its priority (`overdueAfterSeconds`,
 *   `urgentOverdueAfterSeconds` for urgent referrals).
 * - Medians (seconds; the mean of the two middle values for an even count; null without data), over
 *   the referrals accepted at some point, from the timeline:
 *   **medianTimeToAcceptSeconds**: first `sent` event → `accepted` event, minus the time spent in
 *   `info_requested` (request → answer) in between;
 *   **medianTimeToFirstAppointmentSeconds**: first `sent` event → first `scheduled` event (when the
 *   first appointment was booked; a later unschedule and reschedule does not move it).
 */
export class ReferralMetricsDto {
  /** Every referral of the group, the sender side's drafts included. */
  total: number;
  /** Of `total`, the referrals that were sent: not drafts, nor drafts cancelled before sending. */
  sentCount: number;
  byStatus: StatusCountsDto;
  decided: number;
  /** Accepted at some point. */
  accepted: number;
  closedLoop: number;
  /** 0 to 1 (4 decimals); null when nothing was decided. */
  closedLoopRate: number | null;
  leakage: LeakageDto;
  overdue: number;
  medianTimeToAcceptSeconds: number | null;
  medianTimeToFirstAppointmentSeconds: number | null;
  /** Median of outcome painLevel minus painLevel at referral (negative: less pain), over referrals with both. */
  medianPainChange: number | null;
}

export class PractitionerMetricsDto {
  practitionerId: string;
  fullName: string;
  role: string;
  /** Referrals this practitioner sent. */
  sent: ReferralMetricsDto;
  /** Referrals this practitioner received (drafts excluded). */
  received: ReferralMetricsDto;
}

/**
 * Metrics over the referrals created in [from, to) that involve your clinic: as sender clinic, or
 * as recipient clinic of a sent referral. A referral within your clinic counts once in `clinic`,
 * and on both sides.
 */
export class AdminMetricsDto {
  from: string;
  to: string;
  /** When the figures were computed (overdue depends on it). */
  asOf: string;
  /** Escalation threshold of this deployment, in seconds: the line for `overdue`. */
  overdueAfterSeconds: number;
  /** The same for urgent referrals (their timers are shorter). */
  urgentOverdueAfterSeconds: number;
  clinic: ReferralMetricsDto;
  /** Referrals your clinic sent. */
  sent: ReferralMetricsDto;
  /** Referrals your clinic received. */
  received: ReferralMetricsDto;
  /** Every practitioner of your clinic, by name: their sent and received referrals. */
  practitioners: PractitionerMetricsDto[];
}

export class OverduePartyDto {
  id: string;
  fullName: string;
  clinicId: string;
  clinicName: string;
}

export class OverdueReferralDto {
  id: string;
  kind: string;
  status: string;
  priority: string;
  /** Which side your clinic is on (`both`: a referral within your clinic). */
  side: 'sent' | 'received' | 'both';
  patientId: string;
  sender: OverduePartyDto;
  /** Null while the recipient is someone invited who has not joined ReferLoop yet. */
  recipient: OverduePartyDto | null;
  createdAt: string;
  sentAt: string;
  /** Response-SLA time at `asOf`, in seconds: since sending, without the time in info_requested. */
  elapsedSeconds: number;
  /** Past the escalation threshold of its priority as well. */
  escalationDue: boolean;
}

export class OverduePageDto {
  items: OverdueReferralDto[];
  nextCursor: string | null;
  /** The instant elapsed times are computed at; the cursor keeps it, so pages never reorder. */
  asOf: string;
  /** Thresholds of routine referrals, in seconds: listed from the reminder one. */
  reminderAfterSeconds: number;
  escalateAfterSeconds: number;
  /** The same for urgent referrals. */
  urgentReminderAfterSeconds: number;
  urgentEscalateAfterSeconds: number;
}

export class AuditEventDto {
  id: string;
  occurredAt: string;
  actorId: string | null;
  /** The actor's name as it is now; null for the system (a timer) or an attempt by no known user. */
  actorName: string | null;
  /** The clinic the actor acted for: this one, or another clinic party to the referral. */
  clinicId: string | null;
  clinicName: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  /** `success`, `denied` or `not_found`. */
  outcome: string;
  ip: string | null;
  requestId: string | null;
  /** Ids and counts only, never patient data. */
  details: Record<string, unknown> | null;
}

export class AuditEventPageDto {
  items: AuditEventDto[];
  nextCursor: string | null;
}
