import { type EmailContent, emailContent } from './email-body';

/**
 * What a patient is told, per referral event (English). Plain words and no clinical content: never
 * the reason, observations, red flags, body regions, pain or plan; not even the patient's own name
 * (the greeting is generic, so a shared or forwarded inbox learns nothing more than who the clinic is).
 * An urgent referral says that it is urgent, as every text does, and never why.
 */
export type PatientEvent = 'sent' | 'scheduled' | 'rescheduled' | 'unscheduled' | 'declined' | 'cancelled' | 'expired';

export const PATIENT_EVENTS: readonly PatientEvent[] = [
  'sent',
  'scheduled',
  'rescheduled',
  'unscheduled',
  'declined',
  'cancelled',
  'expired',
];

export interface PatientTextContext {
  /** The clinic that referred the patient (their therapist's). */
  senderClinic: string;
  /** The practitioner and clinic the patient was referred to. */
  recipientName: string;
  recipientClinic: string;
  recipientPhone: string;
  recipientAddress: string;
  /**
   * The appointment, named in the recipient clinic's zone ("Tuesday, December 1, 2026 at 10:00 AM
   * MST"): the one booked or moved to, or the one removed; null when none.
   */
  appointment: string | null;
  /** An urgent referral: every text says so (its urgency, not why). */
  urgent: boolean;
  unsubscribeUrl: string;
}

type PatientText = (c: PatientTextContext) => { subject: string; paragraphs: string[] };

const GREETING = 'Hello,';

const TEXTS: Record<PatientEvent, PatientText> = {
  sent: (c) => ({
    subject: `You have been referred to ${c.recipientClinic}`,
    paragraphs: [
      `${c.senderClinic} has referred you to ${c.recipientName} at ${c.recipientClinic}.`,
      `To book an appointment, call ${c.recipientPhone}.`,
      `${c.recipientClinic}\n${c.recipientAddress}`,
    ],
  }),
  scheduled: (c) => ({
    subject: `Your appointment at ${c.recipientClinic}`,
    paragraphs: [
      `Your appointment with ${c.recipientName} at ${c.recipientClinic} is booked for ${c.appointment}.`,
      `Address: ${c.recipientAddress}`,
      `To change it, call ${c.recipientPhone}.`,
    ],
  }),
  rescheduled: (c) => ({
    subject: `Your appointment at ${c.recipientClinic} has moved`,
    paragraphs: [
      `Your appointment with ${c.recipientName} at ${c.recipientClinic} has moved to ${c.appointment}.`,
      `Address: ${c.recipientAddress}`,
      `To change it, call ${c.recipientPhone}.`,
    ],
  }),
  unscheduled: (c) => ({
    subject: `Your appointment at ${c.recipientClinic} was removed`,
    paragraphs: [
      `Your appointment with ${c.recipientName} at ${c.recipientClinic}${c.appointment ? ` on ${c.appointment}` : ''} was removed.`,
      `To book a new one, call ${c.recipientPhone}.`,
      `${c.recipientClinic}\n${c.recipientAddress}`,
    ],
  }),
  declined: (c) => ({
    subject: `About your referral to ${c.recipientClinic}`,
    paragraphs: [`${c.recipientClinic} cannot take your referral. Your therapist at ${c.senderClinic} will follow up with you.`],
  }),
  cancelled: (c) => ({
    subject: `About your referral to ${c.recipientClinic}`,
    paragraphs: [
      `Your referral to ${c.recipientClinic} was cancelled. Your therapist at ${c.senderClinic} will follow up with you.`,
    ],
  }),
  // Nobody answered within the response window: the referral has lapsed, as if declined.
  expired: (c) => ({
    subject: `About your referral to ${c.recipientClinic}`,
    paragraphs: [
      `Your referral to ${c.recipientClinic} was not taken up in time. Your therapist at ${c.senderClinic} will follow up with you.`,
    ],
  }),
};

/**
 * What the patient is told of a referral event, if anything: the event itself, or the one it means
 * to them (a cancellation the recipient confirmed is a cancellation; someone invited joining is when
 * a referral to them has a clinic to name, so that is when the patient hears they were referred).
 */
export function patientEventOf(event: string): PatientEvent | undefined {
  return (
    PATIENT_EVENT_STANDINS.get(event) ??
    ((PATIENT_EVENTS as readonly string[]).includes(event) ? (event as PatientEvent) : undefined)
  );
}

/** Referral events the patient is told of as another event (see {@link patientEventOf}). */
const PATIENT_EVENT_STANDINS: ReadonlyMap<string, PatientEvent> = new Map([
  ['cancel_confirmed', 'cancelled'],
  ['recipient_joined', 'sent'],
]);

/** Every referral event type the patient is told of. */
const PATIENT_TOLD_EVENT_TYPES: readonly string[] = [...PATIENT_EVENTS, ...PATIENT_EVENT_STANDINS.keys()];

/** Every event but the referral itself: newer word on the appointment, or the referral's end. */
const APPOINTMENT_OR_END = PATIENT_EVENTS.filter((event) => event !== 'sent');
/**
 * What an email of each event would contradict if it arrived after it (a retry, a backlog): the
 * referral's end, or for an appointment, any newer word on the appointment.
 */
const CONTRADICTED_BY: Record<PatientEvent, readonly PatientEvent[]> = {
  sent: ['declined', 'cancelled', 'expired'],
  scheduled: APPOINTMENT_OR_END,
  rescheduled: APPOINTMENT_OR_END,
  unscheduled: APPOINTMENT_OR_END,
  declined: [],
  cancelled: [],
  expired: [],
};

/** The referral event types after which an email of `event` is out of date: the later email says what stands. */
export function supersedingEventTypes(event: PatientEvent): string[] {
  return PATIENT_TOLD_EVENT_TYPES.filter((type) => CONTRADICTED_BY[event].includes(patientEventOf(type)!));
}

/** The patient's email for an event: text and HTML, with the unsubscribe link in the body. */
export function patientEmail(event: PatientEvent, context: PatientTextContext): EmailContent {
  const { subject, paragraphs } = TEXTS[event](context);
  const urgency = context.urgent
    ? [
        event === 'sent'
          ? 'Your referral is marked urgent: please call to book as soon as you can.'
          : 'Your referral is marked urgent.',
      ]
    : [];
  return emailContent(context.urgent ? `Urgent: ${subject}` : subject, context.senderClinic, [
    GREETING,
    ...paragraphs.slice(0, 1),
    ...urgency,
    ...paragraphs.slice(1),
    'You receive these emails because you agreed to be kept informed about your referral.',
    { link: context.unsubscribeUrl, label: 'Stop these emails' },
  ]);
}
