import type { MaintenancePlan, ReferralOutcome } from './entities/referral.entity';
import type { ReferralViewColumns } from './store/columns';
import type { ProgressView } from './progress/progress';
import type { ReferralAction } from '@referloop/common';
import type { ReferralEventType, ReferralStatus } from './state-machine/referral-state-machine';

export interface PartySummary {
  id: string;
  fullName: string;
  role: string;
  clinicId: string;
  clinicName: string;
}

/** What the parties of a referral see of the patient (the recipient has no access to /patients). */
export interface PatientSummary {
  id: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string | null;
  phone: string | null;
  preferredContact: string;
}

export interface RecipientInviteView {
  email: string;
  fullName: string;
  role: string;
  status: 'pending' | 'joined';
  /** The single-use join link while pending (the sender may hand it over by phone or fax). */
  url: string | null;
}

export interface ReferralEventView {
  id: string;
  referralId: string;
  type: ReferralEventType;
  fromStatus: ReferralStatus | null;
  toStatus: ReferralStatus;
  actorId: string | null;
  /** Who acted, by name (a practitioner reassigned since, an admin acting for one); null when the system did. */
  actorName: string | null;
  reason: string | null;
  note: string | null;
  data: Record<string, unknown> | null;
  occurredAt: string;
}

export interface AttachmentView {
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
  /** Added after the referral was sent (by either side); what was attached before is frozen. */
  addedAfterSend: boolean;
}

/**
 * A referral as the API answers it: the column registry's plain view fields (`store/columns.ts`,
 * so a field added there is here too), and the parts composed from the joined rows.
 */
export interface ReferralView extends ReferralViewColumns {
  patient: PatientSummary;
  sender: PartySummary;
  recipient: PartySummary | null;
  /** Only for the sender's side, on a referral to someone invited to join. */
  recipientInvite?: RecipientInviteView;
  plan: MaintenancePlan | null;
  /** The follow-ups of this referral that the caller may see. */
  followUpIds: string[];
  outcome: ReferralOutcome | null;
  /** What the caller may do now, read from the state machine. */
  allowedActions: ReferralAction[];
  /** In lists: events and messages by others since the caller last read the referral. */
  unreadCount?: number;
  /** The latest events (TIMELINE_WINDOW of store/referral-view), oldest first; on a single referral, not in lists. */
  timeline?: ReferralEventView[];
  /** With `timeline`: whether earlier events exist than those it holds. */
  timelineTruncated?: boolean;
  attachments?: AttachmentView[];
  /** The latest progress reports (`report-progress`; PROGRESS_WINDOW of store/progress-store), oldest first; on a single referral, not in lists. */
  progress?: ProgressView[];
  /** With `progress`: whether earlier reports exist than those it holds. */
  progressTruncated?: boolean;
}
