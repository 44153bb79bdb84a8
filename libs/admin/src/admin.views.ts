import type { ReferralStatus } from '@referloop/referrals';

/** Referral figures for one group (the clinic, one side of it, or one practitioner's side). */
export interface ReferralMetricsView {
  total: number;
  /** Of `total`, the referrals that were sent: not drafts, nor drafts cancelled before sending. */
  sentCount: number;
  byStatus: Record<ReferralStatus, number>;
  /** Sent and no longer awaiting a decision: accepted at some point, declined, expired, or cancelled after sending. */
  decided: number;
  /** Accepted at some point (whatever happened after). */
  accepted: number;
  /** The outcome reached the sender: status `outcome_sent` or `closed`. */
  closedLoop: number;
  /** closedLoop / decided; null when nothing was decided. */
  closedLoopRate: number | null;
  leakage: { count: number; rate: number | null; declined: number; expired: number; cancelled: number };
  overdue: number;
  medianTimeToAcceptSeconds: number | null;
  medianTimeToFirstAppointmentSeconds: number | null;
  /** Median of outcome painLevel minus painLevel at referral (negative: less pain), over referrals with both. */
  medianPainChange: number | null;
}

export interface PractitionerMetricsView {
  practitionerId: string;
  fullName: string;
  role: string;
  sent: ReferralMetricsView;
  received: ReferralMetricsView;
}

export interface AdminMetricsView {
  from: string;
  to: string;
  asOf: string;
  overdueAfterSeconds: number;
  urgentOverdueAfterSeconds: number;
  clinic: ReferralMetricsView;
  sent: ReferralMetricsView;
  received: ReferralMetricsView;
  practitioners: PractitionerMetricsView[];
}

export interface PartyView {
  id: string;
  fullName: string;
  clinicId: string;
  clinicName: string;
}

export interface OverdueReferralView {
  id: string;
  kind: string;
  status: ReferralStatus;
  priority: string;
  /** Which side of the referral your clinic is on (`both` for a referral within your clinic). */
  side: 'sent' | 'received' | 'both';
  patientId: string;
  sender: PartyView;
  /** Null while the recipient is someone invited who has not joined ReferLoop yet. */
  recipient: PartyView | null;
  createdAt: string;
  sentAt: string;
  /** Response-SLA time at `asOf`: since sending, without the time spent in info_requested. */
  elapsedSeconds: number;
  /** Past the escalation threshold of its priority too (not only the reminder threshold). */
  escalationDue: boolean;
}

export interface OverduePageView {
  items: OverdueReferralView[];
  nextCursor: string | null;
  /** The instant elapsed times are computed at; later pages keep it so the order stays stable. */
  asOf: string;
  reminderAfterSeconds: number;
  escalateAfterSeconds: number;
  urgentReminderAfterSeconds: number;
  urgentEscalateAfterSeconds: number;
}

export interface AuditEventView {
  id: string;
  occurredAt: string;
  actorId: string | null;
  actorName: string | null;
  clinicId: string | null;
  clinicName: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  outcome: string;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}
