/// <reference types="jest" />
import { ApiError, errorMessage } from '../api/problem';
import type { Referral } from '../api/types';
import { actionSuccessMessage, plainFieldMessage } from './messages';

describe('field errors in plain language', () => {
  it.each([
    ['must be a date in the form YYYY-MM-DD', 'Enter a date'],
    // A date that is one, but not a possible one: say which rule, not "enter a date".
    [
      'must be a date in the form YYYY-MM-DD, from 1900-01-01 on and not in the future',
      'Enter a date from 1900 on, not in the future',
    ],
    ['must be a future date', 'Enter a date in the future'],
    ['must be within two years', 'Enter a date within the next two years'],
    ['must be an email', 'Enter an email address, like name@example.com'],
    ['should not be empty', 'Fill this in'],
    ['must be shorter than or equal to 2000 characters', 'Shorten this to 2000 characters or fewer'],
    ['must be longer than or equal to 12 characters', 'Write at least 12 characters'],
    ['must be one of the following values: email, phone, sms, mail', 'Choose one of the options'],
    ['must be a UUID', 'Choose one from the list'],
    ['must not be after to', 'Choose a start on or before the end date'],
    [
      'must be a date (YYYY-MM-DD) or an ISO 8601 date-time with a time zone, e.g. 2026-03-01T15:30:00Z, from 1900-01-01 to 2199-12-31',
      'Enter a date from 1900 to 2199',
    ],
    [
      'must be an audit action such as referral.read (the list: auditActions in GET /reference-data)',
      'Choose one of the options',
    ],
    ['is too common: choose a less guessable one', 'This password is too common: choose one that is harder to guess'],
    ['must not contain your email address', 'Leave your email address (and the part before the @) out of the password'],
    [
      'is already registered or invited: sign in, or accept the invitation emailed to it',
      'This email is already registered or invited: sign in, or accept the invitation emailed to it (its clinic’s admin can send it again)',
    ],
    ['something the table does not know', 'Something the table does not know'],
  ])('"%s" → "%s"', (api, plain) => {
    expect(plainFieldMessage(api)).toBe(plain);
  });

  it('shows the plain message for a field (nested fields too) and keeps the raw text out of the banner', () => {
    const error = ApiError.fromBody(400, {
      code: 'validation_failed',
      detail: 'Validation failed',
      errors: [{ field: 'licence.expiresOn', message: 'must be a date in the form YYYY-MM-DD' }],
    });
    expect(error.fieldMessage('licence')).toBe('Enter a date');
    expect(error.fieldMessage('bio')).toBeUndefined();
    expect(errorMessage(error)).not.toMatch(/licence|YYYY/);
  });
});

describe('success messages', () => {
  const referral = {
    patient: { firstName: 'Ana', lastName: 'Silva' },
    sender: { fullName: 'Lena Morales', clinicName: 'Lena Morales LMT' },
    recipient: { fullName: 'Sam Ortiz', clinicName: 'Summit PT' },
  } as unknown as Referral;

  it('names who the action reached, in plain words', () => {
    expect(actionSuccessMessage('send-outcome', referral)).toBe('Outcome sent to Lena Morales');
    expect(actionSuccessMessage('send', referral)).toBe('Referral sent to Summit PT');
    expect(actionSuccessMessage('schedule', referral)).toBe('Appointment booked for Ana Silva');
    expect(actionSuccessMessage('reschedule', referral)).toBe('Appointment moved for Ana Silva');
    expect(actionSuccessMessage('close', referral)).not.toMatch(/_|outcome sent/);
  });
});
