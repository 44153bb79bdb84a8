/** Everything the referral letter and the outcome report print, read in one query (see ReferralLettersService). */
export interface DocumentClinic {
  name: string;
  addressLine1: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
  phone: string;
  timezone: string;
}

export interface DocumentParty {
  fullName: string;
  role: string;
  licenceNumber: string | null;
  licenceRegion: string | null;
  clinic: DocumentClinic;
}

export interface DocumentPatient {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string | null;
  phone: string | null;
  preferredContact: string;
}

/** Someone referred to who is not on ReferLoop yet, as the referral's invitation names them. */
export interface DocumentInvitee {
  fullName: string;
  email: string;
  role: string;
}

export interface DocumentAttachment {
  fileName: string;
  contentType: string;
  sizeBytes: number;
}

export interface DocumentEvent {
  type: string;
  fromStatus: string | null;
  toStatus: string;
  occurredAt: string;
  data: Record<string, unknown> | null;
}

/**
 * The referral row as `to_jsonb(referrals)` gives it (snake_case columns). Read whole rather than
 * column by column, so plan, outcome and progress fields added later print without a change here.
 */
export interface DocumentReferral {
  id: string;
  kind: string;
  status: string;
  priority: string;
  reason: string;
  observations: string | null;
  body_regions: string[];
  pain_level: number | null;
  onset_date: string | null;
  needed_by: string | null;
  red_flags: string[];
  plan: Record<string, unknown> | null;
  outcome: Record<string, unknown> | null;
  appointment_at: string | null;
  sent_at: string | null;
  created_at: string;
  [column: string]: unknown;
}

export interface ReferralDocument {
  referral: DocumentReferral;
  patient: DocumentPatient;
  sender: DocumentParty;
  /** Null while the recipient is someone invited who has not joined yet. */
  recipient: DocumentParty | null;
  /** Who was invited, while they have not joined (null otherwise). */
  invitee: DocumentInvitee | null;
  attachments: DocumentAttachment[];
  timeline: DocumentEvent[];
  /** When the PDF was made (the service's clock). */
  generatedAt: Date;
}

/** A progress report as `report-progress` records it, from the referral's `progress` column or its timeline. */
export type ProgressReport = Record<string, unknown>;

/** How many of the referral's progress reports the document leaves out (it holds the latest: `progress_count` counts them all). */
export function progressReportsLeftOut(document: ReferralDocument): number {
  const total = Number(document.referral.progress_count ?? 0);
  return Math.max(0, total - progressReports(document).length);
}

export function progressReports(document: ReferralDocument): ProgressReport[] {
  const column = document.referral.progress;
  if (Array.isArray(column)) return column as ProgressReport[];
  return document.timeline.flatMap((event) => {
    const progress = event.data?.progress;
    return progress && typeof progress === 'object' ? [{ reportedAt: event.occurredAt, ...progress }] : [];
  });
}
