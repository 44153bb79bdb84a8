import {
  type Audience,
  invitationEmail,
  NOTIFICATION_EVENTS,
  notificationText,
  passwordResetEmail,
  referralEmail,
  sideOfAudience,
} from '../notification-texts';
import { type EmailContent, zonedWhen } from './email-body';
import { PATIENT_EVENTS, patientEmail } from './patient.en';

/** One email as it is sent, rendered with sample data, with who gets it and on which channels. */
export interface EmailPreview extends EmailContent {
  /** The referral event (`sent`, `scheduled` …), or `invitation` / `password_reset`. */
  event: string;
  audience: Audience | 'patient' | 'invited_practitioner' | 'account_holder';
  channels: string[];
}

const SAMPLE = {
  senderClinic: 'Sunrise Massage',
  recipientClinic: 'Capitol Physio',
  urgent: false,
  referralId: '00000000-0000-4000-8000-000000000000',
};

/**
 * Every email ReferLoop sends, built by the very functions the worker uses, with sample clinics and
 * links: what the admin preview page shows.
 */
export function emailPreviews(publicUrl: string): EmailPreview[] {
  const referralUrl = `${publicUrl}/referrals/${SAMPLE.referralId}`;
  const practitioner = NOTIFICATION_EVENTS.flatMap(({ event, audiences }) =>
    audiences.flatMap((audience): EmailPreview[] => {
      const text = notificationText(event, audience, SAMPLE)!;
      const clinic = sideOfAudience(audience) === 'sender' ? SAMPLE.senderClinic : SAMPLE.recipientClinic;
      return [{ event, audience, channels: ['in_app', 'email'], ...referralEmail(text, clinic, audience, referralUrl) }];
    }),
  );
  const patient = PATIENT_EVENTS.map((event): EmailPreview => ({
    event,
    audience: 'patient',
    channels: ['patient_email'],
    ...patientEmail(event, {
      senderClinic: SAMPLE.senderClinic,
      recipientName: 'Pat Physio',
      recipientClinic: SAMPLE.recipientClinic,
      recipientPhone: '+1 512 555 0100',
      recipientAddress: '100 Congress Ave, Austin, TX 78701',
      appointment: zonedWhen(new Date('2026-12-01T17:00:00Z'), 'America/Denver'),
      urgent: false,
      unsubscribeUrl: `${publicUrl}/api/v1/unsubscribe/sample`,
    }),
  }));
  return [
    ...practitioner,
    ...patient,
    {
      event: 'invitation',
      audience: 'invited_practitioner',
      channels: ['email'],
      ...invitationEmail(
        SAMPLE.senderClinic,
        `${publicUrl}/accept-invitation#token=sample`,
        new Date('2026-12-08T12:00:00Z'),
        'America/Chicago',
      ),
    },
    {
      event: 'password_reset',
      audience: 'account_holder',
      channels: ['email'],
      ...passwordResetEmail(`${publicUrl}/reset-password#token=sample`),
    },
  ];
}
