// Human labels for the API's codes. Anything not listed falls back to a readable form of the code.

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

export function bodyRegionLabel(region: string): string {
  const side = /_(left|right)$/.exec(region)?.[1];
  const part = (side ? region.slice(0, -side.length - 1) : region)
    .replace('wrist_hand', 'wrist & hand')
    .replace('ankle_foot', 'ankle & foot')
    .replace(/_/g, ' ');
  return side ? `${capitalize(side)} ${part}` : capitalize(part);
}

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

const ACTION: Record<string, { label: string; hint: string }> = {
  send: { label: 'Send referral', hint: 'Send it to the recipient; attachments are frozen from then on.' },
  acknowledge: { label: 'Acknowledge', hint: 'Let the sender know you have seen it.' },
  accept: { label: 'Accept', hint: 'Take the patient on.' },
  decline: { label: 'Decline', hint: 'Tell the sender why you cannot take it.' },
  'request-info': { label: 'Request info', hint: 'Ask the sender for what you need before deciding.' },
  'provide-info': { label: 'Provide info', hint: 'Answer the recipient’s question.' },
  schedule: { label: 'Schedule', hint: 'Book the first appointment.' },
  unschedule: { label: 'Unschedule', hint: 'The appointment did not happen.' },
  'start-care': { label: 'Start care', hint: 'The patient has been seen.' },
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
  sent: 'Sent',
  acknowledged: 'Acknowledged',
  accepted: 'Accepted',
  declined: 'Declined',
  info_requested: 'Information requested',
  info_provided: 'Information provided',
  scheduled: 'Appointment scheduled',
  unscheduled: 'Appointment cancelled',
  care_started: 'Care started',
  note_added: 'Note added',
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
};
export const eventLabel = (type: string) => EVENT[type] ?? humanize(type);

export const fieldLabel: Record<string, string> = {
  note: 'Note',
  reason: 'Reason',
  appointmentAt: 'Appointment',
  outcome: 'Outcome',
};

/**
 * The recipient as a list or page names them: the practitioner, or (on the sender's side) the
 * person invited who has not joined ReferLoop yet.
 */
export function recipientParty(r: {
  recipient: { fullName: string; clinicName: string } | null;
  recipientInvite?: { fullName: string; status: string };
}): { fullName: string; clinicName: string } {
  if (r.recipient) return r.recipient;
  const name = r.recipientInvite?.fullName ?? 'the invited practitioner';
  return { fullName: name, clinicName: `waiting for ${name} to join` };
}

/** The zone appointments are shown in: the recipient clinic's (only a recipient who joined schedules). */
export const appointmentZone = (r: { appointmentTimeZone: string | null }) => r.appointmentTimeZone ?? 'UTC';
