import { patientEventOf, supersedingEventTypes } from './patient.en';

describe("the patient's emails", () => {
  it('are told of the events that concern the patient, a confirmed cancellation and a join as what they mean', () => {
    expect(patientEventOf('scheduled')).toBe('scheduled');
    expect(patientEventOf('expired')).toBe('expired');
    expect(patientEventOf('cancel_confirmed')).toBe('cancelled');
    expect(patientEventOf('recipient_joined')).toBe('sent');
    for (const other of ['accepted', 'care_started', 'outcome_sent', 'constructor', 'toString']) {
      expect(patientEventOf(other)).toBeUndefined();
    }
  });

  it('go stale only where a later one would be contradicted: the referral ended, or newer word on the appointment', () => {
    const ended = ['declined', 'cancelled', 'cancel_confirmed', 'expired'];
    expect(supersedingEventTypes('sent').sort()).toEqual(ended.sort());
    for (const appointment of ['scheduled', 'rescheduled', 'unscheduled'] as const) {
      expect(supersedingEventTypes(appointment).sort()).toEqual([...ended, 'rescheduled', 'scheduled', 'unscheduled'].sort());
    }
    // An appointment booked after the referral email does not make "you have been referred" wrong.
    expect(supersedingEventTypes('sent')).not.toContain('scheduled');
    expect(supersedingEventTypes('declined')).toEqual([]);
    expect(supersedingEventTypes('cancelled')).toEqual([]);
    expect(supersedingEventTypes('expired')).toEqual([]);
  });
});
