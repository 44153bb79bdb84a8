// Human labels for the API's codes: the words a therapist uses. Every curated code has an entry (labels.spec.ts checks);
// anything not listed falls back to a readable form of the code.

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function humanize(code: string): string {
  return capitalize(code.replace(/[_-]+/g, ' ').trim());
}

const STATUS: Record<string, string> = {
  info_requested: 'Info requested',
  in_care: 'In care',
  outcome_sent: 'Outcome sent',
  cancel_requested: 'Cancel requested',
};
export const statusLabel = (status: string) => STATUS[status] ?? humanize(status);

/** Tone of a status chip: where the referral stands at a glance. */
export function statusTone(status: string): 'neutral' | 'info' | 'progress' | 'success' | 'warning' | 'danger' {
  switch (status) {
    case 'draft':
      return 'neutral';
    case 'sent':
    case 'received':
      return 'info';
    case 'info_requested':
    case 'cancel_requested':
      return 'warning';
    case 'accepted':
    case 'scheduled':
    case 'in_care':
      return 'progress';
    case 'outcome_sent':
    case 'closed':
      return 'success';
    case 'declined':
    case 'expired':
    case 'cancelled':
      return 'danger';
    default:
      return 'neutral';
  }
}

const ROLE: Record<string, string> = {
  massage_therapist: 'Massage therapist (LMT)',
  physical_therapist: 'Physical therapist (PT)',
  clinic_admin: 'Clinic admin',
};
export const roleLabel = (role: string) => ROLE[role] ?? humanize(role);

const KIND: Record<string, string> = {
  injury_care: 'Injury care (LMT → PT)',
  maintenance_massage: 'Maintenance massage (PT → LMT)',
};
export const kindLabel = (kind: string) => KIND[kind] ?? humanize(kind);

const SPECIALTY: Record<string, string> = {
  sports_injury: 'Sports injuries',
  back_neck: 'Back and neck',
  sciatica: 'Sciatica',
  post_surgical: 'After surgery',
  deep_tissue: 'Deep tissue',
  myofascial_release: 'Myofascial release',
  prenatal: 'Pregnancy (prenatal)',
  orthopedic: 'Orthopedic',
  neurological: 'Neurological',
  geriatric: 'Older adults',
  pediatric: 'Children',
  vestibular: 'Dizziness and balance (vestibular)',
  tmj: 'TMJ (jaw)',
  lymphatic_drainage: 'Lymphatic drainage',
  trigger_point: 'Trigger points',
  oncology: 'Cancer care (oncology)',
};
export const specialtyLabel = (specialty: string) => SPECIALTY[specialty] ?? humanize(specialty);

const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' });

/** A language code as people read it: `en` → "English", `pt-BR` → "Brazilian Portuguese"; a code it does not know stays as written. */
export function languageLabel(code: string): string {
  try {
    return LANGUAGE_NAMES.of(code) ?? code;
  } catch {
    return code;
  }
}

const REGION_PART: Record<string, string> = {
  upper_back: 'upper back',
  mid_back: 'mid back',
  lower_back: 'lower back',
  upper_arm: 'upper arm',
  wrist_hand: 'wrist and hand',
  ankle_foot: 'ankle and foot',
};
export function bodyRegionLabel(region: string): string {
  const side = /_(left|right)$/.exec(region)?.[1];
  const code = side ? region.slice(0, -side.length - 1) : region;
  const part = REGION_PART[code] ?? code.replace(/_/g, ' ');
  return side ? `${capitalize(side)} ${part}` : capitalize(part);
}

const CONTACT: Record<string, string> = { email: 'Email', phone: 'Phone call', sms: 'Text message (SMS)', mail: 'Post (mail)' };
export const contactLabel = (contact: string) => CONTACT[contact] ?? humanize(contact);

const CHANNEL: Record<string, string> = { in_app: 'In ReferLoop', email: 'Email', sms: 'Text message (SMS)', webhook: 'Webhook' };
export const channelLabel = (channel: string) => CHANNEL[channel] ?? humanize(channel);

const UNSCHEDULE_REASON: Record<string, string> = {
  no_show: 'The patient did not come',
  patient_cancelled: 'The patient cancelled',
  clinic_cancelled: 'We cancelled',
  other: 'Other',
};
export const unscheduleReasonLabel = (reason: string) => UNSCHEDULE_REASON[reason] ?? humanize(reason);

const PRIORITY: Record<string, string> = { routine: 'Routine', urgent: 'Urgent' };
export const priorityLabel = (priority: string) => PRIORITY[priority] ?? humanize(priority);

/** The two consents a patient gives, and what each lets the clinic do, in plain words. */
const CONSENT: Record<string, { label: string; explanation: string }> = {
  referral_sharing: {
    label: 'Share with other practitioners',
    explanation:
      'The patient agrees that you send their details and the reason for referral to the practitioner you refer them to. ' +
      'Without it you cannot send a referral for them.',
  },
  patient_notifications: {
    label: 'Messages to the patient',
    explanation:
      // Patients are told by email only: their preferred contact is for the clinic to call or write.
      'The patient agrees to be emailed about their referral (who it is with, their appointments), never its clinical ' +
      'details. It needs their email address.',
  },
};
export const consentLabel = (scope: string) => CONSENT[scope]?.label ?? humanize(scope);
export const consentExplanation = (scope: string) => CONSENT[scope]?.explanation ?? '';

const RED_FLAG: Record<string, string> = {
  saddle_numbness: 'Saddle numbness (groin, buttocks, inner thighs)',
  bladder_bowel_change: 'New bladder or bowel changes',
  calf_swelling_redness: 'Calf swelling, redness or heat',
  unexplained_weight_loss: 'Unexplained weight loss',
  night_pain: 'Pain at night that does not ease with rest',
  fever: 'Fever or feeling unwell',
  recent_trauma: 'Recent trauma (fall, accident)',
};
export const redFlagLabel = (flag: string) => RED_FLAG[flag] ?? humanize(flag);

const CONTRAINDICATION: Record<string, string> = {
  anticoagulants: 'Takes anticoagulants (bruises easily)',
  recent_surgery_site: 'Recent surgery site',
  osteoporosis: 'Osteoporosis',
  pregnancy: 'Pregnancy',
  dvt_history: 'History of DVT',
  open_wounds: 'Open wounds',
  recent_fracture: 'Recent fracture',
  avoid_deep_pressure_site: 'A site to keep off deep pressure',
};
export const contraindicationLabel = (c: string) => CONTRAINDICATION[c] ?? humanize(c);

/** A plan's rhythm in words: "Every 2 weeks", "2 × a week". */
export function planFrequencyLabel(plan: { frequencyWeeks: number | null; sessionsPerWeek: number | null }): string {
  if (plan.sessionsPerWeek) return `${plan.sessionsPerWeek} × a week`;
  if (plan.frequencyWeeks) return plan.frequencyWeeks === 1 ? 'Every week' : `Every ${plan.frequencyWeeks} weeks`;
  return '—';
}

const ACTION: Record<string, { label: string; hint: string }> = {
  send: { label: 'Send referral', hint: 'Send it to the recipient; attachments are frozen from then on.' },
  acknowledge: { label: 'Acknowledge', hint: 'Let the sender know you have seen it.' },
  accept: { label: 'Accept', hint: 'Take the patient on.' },
  decline: { label: 'Decline', hint: 'Tell the sender why you cannot take it.' },
  'request-info': { label: 'Request info', hint: 'Ask the sender for what you need before deciding.' },
  'provide-info': { label: 'Provide info', hint: 'Answer the recipient’s question.' },
  schedule: { label: 'Schedule', hint: 'Book the first appointment.' },
  unschedule: { label: 'Unschedule', hint: 'The appointment did not happen.' },
  reschedule: { label: 'Reschedule', hint: 'Move the appointment to another time; the sender sees it moved.' },
  'start-care': { label: 'Start care', hint: 'The patient has been seen.' },
  'report-progress': { label: 'Report progress', hint: 'Tell the sender how the sessions are going.' },
  'add-note': { label: 'Add note', hint: 'An interim note for the other side.' },
  'send-outcome': { label: 'Send outcome', hint: 'Report back to the sender and close your side of the loop.' },
  close: { label: 'Close referral', hint: 'Acknowledge the outcome and close the loop.' },
  cancel: { label: 'Cancel referral', hint: 'Withdraw it.' },
  'request-cancel': { label: 'Request cancellation', hint: 'Ask the recipient to cancel care already under way.' },
  'confirm-cancel': { label: 'Confirm cancellation', hint: 'Agree to the sender’s cancellation.' },
};
export const actionLabel = (action: string) => ACTION[action]?.label ?? humanize(action);
export const actionHint = (action: string) => ACTION[action]?.hint ?? '';

const EVENT: Record<string, string> = {
  created: 'Created as a draft',
  draft_updated: 'Draft edited',
  sent: 'Sent',
  acknowledged: 'Acknowledged',
  accepted: 'Accepted',
  declined: 'Declined',
  info_requested: 'Information requested',
  info_provided: 'Information provided',
  scheduled: 'Appointment scheduled',
  unscheduled: 'Appointment cancelled',
  rescheduled: 'Appointment moved',
  care_started: 'Care started',
  progress_reported: 'Progress reported',
  progress_report_due: 'Progress report due',
  note_added: 'Note added',
  message: 'Message',
  document_added: 'Document added',
  outcome_sent: 'Outcome sent',
  closed: 'Closed',
  cancelled: 'Cancelled',
  cancel_requested: 'Cancellation requested',
  cancel_confirmed: 'Cancellation confirmed',
  expired: 'Expired (no decision in time)',
  auto_closed: 'Closed automatically',
  reminder_sent: 'Reminder sent to the recipient',
  escalated: 'Escalated to the recipient clinic',
  reassigned: 'Reassigned to another practitioner',
  recipient_joined: 'Invited practitioner joined',
};
export const eventLabel = (type: string) => EVENT[type] ?? humanize(type);

const TOLERANCE: Record<string, string> = {
  well: 'Tolerated well',
  some_soreness: 'Some soreness',
  adverse: 'Adverse reaction',
};
/** How the client tolerated the sessions of a progress report. */
export const toleranceLabel = (tolerance: string) => TOLERANCE[tolerance] ?? humanize(tolerance);

/** Notification types such as `referral.sent`, named by what happened. */
export const notificationTypeLabel = (type: string) => {
  const event = type.replace(/^referral\./, '');
  return EVENT[event] ?? humanize(type.replace('.', ' '));
};

/** Audit actions that do not read well word by word; the rest are named from their code. */
const AUDIT_ACTION: Record<string, string> = {
  'auth.login': 'Account: signed in',
  'auth.login_failed': 'Account: sign-in failed',
  'auth.session_ended': 'Account: signed out a session',
  'auth.logout_all': 'Account: signed out everywhere',
  'referral.list': 'Referral list: read',
  'referral.list_unowned': 'Unowned referrals: read',
  'referral.list_overdue': 'Overdue referrals: read',
  'referral.export': 'Referrals: exported (CSV)',
  'referral.read_events': 'Referral: timeline read',
  'referral.read_progress': 'Referral: progress reports read',
  'referral.read_messages': 'Referral: messages read',
  'referral.mark_read': 'Referral: marked as read',
  'referral.resend_invite': 'Referral: invitation re-sent',
  'referral.follow_up': 'Referral: follow-up',
  'patient.list': 'Patient list: read',
  'practitioner.update': 'Practitioner: profile changed',
  'practitioner.admin_rights': 'Practitioner: admin rights granted or removed',
};
const AUDIT_SUBJECT: Record<string, string> = { auth: 'Account' };
const ABBREVIATION = /\b(pdf|csv|sms)\b/g;

/** An audit action in words, "<what>: <what happened>": `referral.outcome_pdf` reads "Referral: outcome PDF". */
export function auditActionLabel(code: string): string {
  if (AUDIT_ACTION[code]) return AUDIT_ACTION[code];
  const words = (text: string) =>
    text
      .replace(/[_-]+/g, ' ')
      .trim()
      .replace(ABBREVIATION, (abbreviation) => abbreviation.toUpperCase());
  const [subject, ...rest] = code.split('.');
  const what = AUDIT_SUBJECT[subject] ?? capitalize(words(subject));
  const happened = words(rest.join(' '));
  return happened ? `${what}: ${happened}` : what;
}

export const fieldLabel: Record<string, string> = {
  note: 'Note',
  reason: 'Reason',
  appointmentAt: 'Appointment',
  outcome: 'Outcome',
  progress: 'Progress',
};

/**
 * Whether a referral's join link can still be used (and a new one made): while it is a draft or sent,
 * as the API's `inviteLinkWorks` decides. Once it has ended, so has the invitation.
 */
export const inviteLinkWorks = (status: string) => status === 'draft' || status === 'sent';

/**
 * The recipient as a list or page names them: the practitioner, or (on the sender's side) the
 * person invited who has not joined ReferLoop yet, while the invitation still works.
 */
export function recipientParty(r: {
  status: string;
  recipient: { fullName: string; clinicName: string } | null;
  recipientInvite?: { fullName: string; status: string };
}): { fullName: string; clinicName: string } {
  if (r.recipient) return r.recipient;
  const name = r.recipientInvite?.fullName ?? 'the invited practitioner';
  return {
    fullName: name,
    clinicName: inviteLinkWorks(r.status) ? `waiting for ${name} to join` : 'invited; the invitation ended with the referral',
  };
}

/** The zone appointments are shown in: the recipient clinic's (only a recipient who joined schedules). */
export const appointmentZone = (r: { appointmentTimeZone: string | null }) => r.appointmentTimeZone ?? 'UTC';
