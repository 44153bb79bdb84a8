// Plain-language messages: what the API's field errors mean for the person filling the form, and what an action did.
import type { Referral, ReferralAction } from '../api/types';

/** class-validator and API wordings, most specific first, with what to tell the person instead. */
const FIELD_MESSAGES: [RegExp, string][] = [
  // A new password too easy to guess (the API's one rule for every password set).
  [/^is too common\b/i, 'This password is too common: choose one that is harder to guess'],
  [/^must not contain your email address/i, 'Leave your email address (and the part before the @) out of the password'],
  [
    /^is one character or a short pattern repeated/i,
    'This password is one character or a short pattern repeated: choose one that is harder to guess',
  ],
  [
    /^is a simple sequence/i,
    'This password is a simple sequence (like 1234567890 or abcdefghij): choose one that is harder to guess',
  ],
  // An email someone has (409 email_taken names the field).
  [
    /^is already registered or invited/i,
    'This email is already registered or invited: sign in, or accept the invitation emailed to it (its clinic’s admin can send it again)',
  ],
  [
    /^is already registered, or invited by another clinic/i,
    'Someone already uses this email: an account, or another clinic’s invitation',
  ],
  [/from (\d{4})-\d{2}-\d{2} on and not in the future/i, 'Enter a date from $1 on, not in the future'],
  [/not in the future/i, 'Enter a date that is not in the future'],
  [/must be a future date|must be in the future/i, 'Enter a date in the future'],
  [/must be within two years/i, 'Enter a date within the next two years'],
  [
    /must be a date \(YYYY-MM-DD\) or an ISO 8601 date-time.* from (\d{4})-\d{2}-\d{2} to (\d{4})-\d{2}-\d{2}/i,
    'Enter a date from $1 to $2',
  ],
  [/must be a date in the form YYYY-MM-DD|must be a valid ISO 8601 date string|must be a Date instance/i, 'Enter a date'],
  [/must be an email/i, 'Enter an email address, like name@example.com'],
  [/is not a PDF, PNG or JPEG file/i, 'Choose a PDF, PNG or JPEG file: this one is another kind of file'],
  [/must be a URL|must be an URL/i, 'Enter a web address starting with https://'],
  [/must be a UUID/i, 'Choose one from the list'],
  [/should not be empty|must not be empty|is required|must be a string/i, 'Fill this in'],
  [
    /must be shorter than or equal to (\d+) characters|must be at most (\d+) characters/i,
    'Shorten this to $1$2 characters or fewer',
  ],
  [/must be longer than or equal to (\d+) characters|must be at least (\d+) characters/i, 'Write at least $1$2 characters'],
  [/must be one of the following values|must be a valid enum value|must be an audit action/i, 'Choose one of the options'],
  [/must contain at least (\d+) elements?/i, 'Choose at least $1'],
  [/must not be less than (\d+)/i, 'Enter $1 or more'],
  [/must not be greater than (\d+)/i, 'Enter $1 or less'],
  [/must be a number|must be an integer/i, 'Enter a whole number'],
  [/must be a boolean/i, 'Choose yes or no'],
  [/must be a phone number|phone/i, 'Enter a phone number'],
  [/must match .* regular expression/i, 'Check the format of this answer'],
  [/should not exist/i, 'This cannot be changed here'],
  [/must not contain NUL characters|must be valid Unicode text/i, 'Remove the unusual characters from this answer'],
  [/must not be after to/i, 'Choose a start on or before the end date'],
];

/** The API's message for one field, in plain language. */
export function plainFieldMessage(message: string): string {
  for (const [pattern, plain] of FIELD_MESSAGES) {
    const match = pattern.exec(message);
    if (match) return plain.replace(/\$(\d)/g, (_, i: string) => match[Number(i)] ?? '');
  }
  // Unknown wording: still readable on its own (no field path in front of it).
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** Sending was refused (`consent_required`): the patient's consent to sharing is not on record. */
export const CONSENT_MISSING =
  'The patient’s consent to sharing this referral is missing: record it (the patient has to agree), then send.';

const patientName = (r: Referral) => `${r.patient.firstName} ${r.patient.lastName}`;

/** What a referral action did, in the words of the person who did it ("Outcome sent to Lena Morales"). */
export function actionSuccessMessage(action: ReferralAction, r: Referral): string {
  const sender = r.sender.fullName;
  // Someone not on ReferLoop yet is named as invited until they join.
  const recipientName = r.recipient?.fullName ?? r.recipientInvite?.fullName ?? 'the invited practitioner';
  const recipient = r.recipient ? r.recipient.clinicName || r.recipient.fullName : recipientName;
  switch (action) {
    case 'send':
      return `Referral sent to ${recipient}`;
    case 'acknowledge':
      return `${sender} now knows you have seen the referral`;
    case 'accept':
      return `You accepted ${patientName(r)}: ${sender} has been told`;
    case 'decline':
      return `Referral declined: ${sender} has been told`;
    case 'request-info':
      return `Question sent to ${sender}`;
    case 'provide-info':
      return `Answer sent to ${recipientName}`;
    case 'schedule':
      return `Appointment booked for ${patientName(r)}`;
    case 'reschedule':
      return `Appointment moved for ${patientName(r)}`;
    case 'unschedule':
      return `Appointment removed for ${patientName(r)}`;
    case 'start-care':
      return `Care started for ${patientName(r)}`;
    case 'add-note':
      return 'Note added';
    case 'report-progress':
      return `Progress reported to ${sender}`;
    case 'send-outcome':
      return `Outcome sent to ${sender}`;
    case 'close':
      return 'Referral closed: the loop is complete';
    case 'cancel':
      return 'Referral cancelled';
    case 'request-cancel':
      return `Cancellation requested from ${recipientName}`;
    case 'confirm-cancel':
      return 'Cancellation confirmed: the referral is cancelled';
    default:
      return 'Done';
  }
}
