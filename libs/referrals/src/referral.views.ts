import type { MaintenancePlan, ReferralOutcome } from './entities/referral.entity';
import type { ReferralAction, ReferralEventType, ReferralStatus } from './state-machine/referral-state-machine';

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
  createdAt: string;
  /** Added after the referral was sent (by either side); what was attached before is frozen. */
  addedAfterSend: boolean;
}

export interface ReferralView {
  id: string;
  kind: string;
  status: ReferralStatus;
  version: number;
  patientId: string;
  patient: PatientSummary;
  senderId: string;
  sender: PartySummary;
  /** Null while the recipient is someone not on ReferLoop who has not joined yet. */
  recipientId: string | null;
  recipient: PartySummary | null;
  /** Only for the sender's side, on a referral to someone invited to join. */
  recipientInvite?: RecipientInviteView;
  priority: string;
  reason: string;
  bodyRegions: string[];
  observations: string | null;
  painLevel: number | null;
  onsetDate: string | null;
  neededBy: string | null;
  redFlags: string[];
  /** The sender recorded that they told the client to seek emergency care now. */
  emergencyAdviceGiven: boolean;
  plan: MaintenancePlan | null;
  replacesId: string | null;
  /** The injury referral this maintenance referral follows up. */
  previousId: string | null;
  /** The follow-ups of this referral that the caller may see. */
  followUpIds: string[];
  appointmentAt: string | null;
  /** The recipient clinic's IANA zone: where the appointment happens, and the zone to show it in (null before the recipient joins). */
  appointmentTimeZone: string | null;
  outcome: ReferralOutcome | null;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** What the caller may do now, read from the state machine. */
  allowedActions: ReferralAction[];
  /** In lists: events and messages by others since the caller last read the referral. */
  unreadCount?: number;
  timeline?: ReferralEventView[];
  attachments?: AttachmentView[];
}
