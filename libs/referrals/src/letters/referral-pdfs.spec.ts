import { pdfText } from '@referloop/testing/pdf-text';
import type { DocumentParty, ReferralDocument } from './referral-document';
import { pdfFileName, renderOutcomeReport, renderReferralLetter } from './referral-pdfs';

const clinic = (name: string, timezone: string): DocumentParty['clinic'] => ({
  name,
  addressLine1: '12 Rue de la Paix',
  city: 'Montréal',
  region: 'QC',
  postalCode: 'H2X 1Y4',
  country: 'CA',
  phone: '+1 514 555 0100',
  timezone,
});

function sample(overrides: Partial<ReferralDocument['referral']> = {}): ReferralDocument {
  return {
    referral: {
      id: '0f8b2c4e-1111-4222-8333-944455556666',
      kind: 'maintenance_massage',
      status: 'outcome_sent',
      priority: 'urgent',
      reason: 'Maintenance after discharge',
      observations: null,
      body_regions: ['lower_back'],
      pain_level: 7,
      onset_date: '2026-10-01',
      needed_by: null,
      red_flags: ['saddle_numbness', 'fever'],
      emergency_advice_given: true,
      plan: {
        sessionsPerWeek: 2,
        sessions: 8,
        durationWeeks: 4,
        goals: ['Sit through a workday', 'Sleep without waking'],
        focusAreas: ['lower_back', 'glute_left'],
        pressure: 'light',
        contraindications: ['anticoagulants'],
        precautions: 'Avoid prone position longer than 20 minutes',
        homeProgramme: 'Daily walks',
      },
      outcome: { summary: 'Back to work', painLevel: 2, psfs: 8.5, visits: 9, sentAt: '2026-11-20T15:00:00.000Z' },
      progress: [
        {
          sessionsCompleted: 3,
          painLevel: 4,
          tolerance: 'some_soreness',
          note: 'Stiff mornings',
          reportedAt: '2026-11-01T15:00:00Z',
        },
      ],
      appointment_at: null,
      sent_at: '2026-10-02T15:00:00.000Z',
      created_at: '2026-10-02T14:00:00.000Z',
      ...overrides,
    },
    patient: {
      firstName: 'Łukasz',
      lastName: 'Núñez-Σ',
      dateOfBirth: '1980-02-29',
      email: null,
      phone: '+1 514 555 0199',
      preferredContact: 'phone',
    },
    sender: {
      fullName: 'Dr Zoë Ortiz',
      role: 'physical_therapist',
      licenceNumber: 'PT-1',
      licenceRegion: 'QC',
      clinic: clinic('Clinique Physio Élan', 'America/Toronto'),
    },
    recipient: {
      fullName: 'Morgan Massage',
      role: 'massage_therapist',
      licenceNumber: null,
      licenceRegion: null,
      clinic: clinic('Studio Détente', 'America/Toronto'),
    },
    invitee: null,
    attachments: [],
    timeline: [
      { type: 'created', fromStatus: null, toStatus: 'draft', occurredAt: '2026-10-02T14:00:00Z', data: null },
      { type: 'note_added', fromStatus: 'in_care', toStatus: 'in_care', occurredAt: '2026-10-03T14:00:00Z', data: null },
      { type: 'outcome_sent', fromStatus: 'in_care', toStatus: 'outcome_sent', occurredAt: '2026-11-20T15:00:00Z', data: null },
    ],
    generatedAt: new Date('2026-11-21T12:00:00Z'),
  };
}

describe('referral letter PDF', () => {
  it('prints every plan field, named red flags with the emergency note, and names in Latin, Greek or Cyrillic letters exactly', async () => {
    const { text, pages } = await pdfText(await renderReferralLetter(sample()));
    for (const expected of [
      'Clinique Physio Élan',
      'Montréal, QC H2X 1Y4',
      'Łukasz Núñez-Σ',
      '29 Feb 1980',
      'URGENT REFERRAL',
      'Saddle numbness (emergency sign)',
      'Possible cauda equina syndrome or deep vein thrombosis',
      'told to seek emergency care.',
      'Fever',
      '2 per week',
      'Sit through a workday',
      'Glute left',
      'Light',
      'Anticoagulants',
      'Avoid prone position longer than 20 minutes',
      // A plan field this renderer does not know yet still prints.
      'Home programme',
      'Daily walks',
      'None.',
      `Page 1 of ${pages}`,
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('Fever (emergency sign)');
  });

  it('keeps each document’s text layer its own: what one letter printed does not change the letters of the next', async () => {
    const latinName = (document: ReferralDocument) => ({
      ...document,
      patient: { ...document.patient, firstName: 'Zoë', lastName: 'Núñez' },
    });
    await renderReferralLetter(latinName(sample({ reason: 'Ζωή ήή ῌ' })));
    const { text } = await pdfText(await renderReferralLetter(latinName(sample({ reason: 'Pain η here' }))));
    expect(text).toContain('Pain η here');
  });

  it('prints a 10,000-letter word as lines of it, whole', async () => {
    const { text } = await pdfText(await renderReferralLetter(sample({ observations: 'W'.repeat(10_000) })));
    expect(text.split('W').length - 1).toBe(10_000);
  });

  it("says when a patient's name has letters the PDF cannot print", async () => {
    const document = sample();
    document.patient = { ...document.patient, firstName: '陈', lastName: 'Wei' };
    const { text } = await pdfText(await renderReferralLetter(document));
    expect(text).toContain('? Wei');
    expect(text).toContain('Some letters of this name cannot be printed here');
    expect((await pdfText(await renderReferralLetter(sample()))).text).not.toContain('Some letters of this name');
  });

  it('marks a draft as not sent, and only a draft', async () => {
    expect((await pdfText(await renderReferralLetter(sample({ status: 'draft', sent_at: null })))).text).toContain(
      'DRAFT: not sent',
    );
    expect((await pdfText(await renderReferralLetter(sample()))).text).not.toContain('DRAFT');
  });

  it('says when clinical text printed characters the PDF has no letter for, and only then', async () => {
    // A patient name that prints exactly (the sample's does not, and has its own note).
    const latinName = (document: ReferralDocument) => ({
      ...document,
      patient: { ...document.patient, firstName: 'Zoë', lastName: 'Núñez' },
    });
    const lossy = await pdfText(await renderReferralLetter(latinName(sample({ reason: '颈部疼痛 — after a fall' }))));
    expect(lossy.text).toContain('Some characters of this document cannot be printed in this PDF');
    const outcome = latinName(sample());
    outcome.referral.outcome = { ...outcome.referral.outcome, summary: 'Improved — 改善' };
    expect((await pdfText(await renderOutcomeReport(outcome))).text).toContain('cannot be printed in this PDF');
    // Accented Latin, Cyrillic, and a question mark the author wrote, print as they are.
    const clean = await pdfText(
      await renderReferralLetter(latinName(sample({ reason: 'Douleur au cou après une chute? Боль в шее' }))),
    );
    expect(clean.text).not.toContain('cannot be printed in this PDF');
  });

  it('numbers every page of a long letter and repeats the header and footer on each', async () => {
    const observations = Array.from({ length: 200 }, (_, i) => `Observation line ${i + 1}.`).join('\n');
    const { text, pages } = await pdfText(await renderReferralLetter(sample({ observations })));
    expect(pages).toBeGreaterThan(2);
    for (let page = 1; page <= pages; page++) expect(text).toContain(`Page ${page} of ${pages}`);
    expect(text.split('Confidential health information')).toHaveLength(pages + 1);
    expect(text.split('Clinique Physio Élan').length).toBeGreaterThan(pages);
    expect(text).toContain('Observation line 200.');
  });

  it("names an invited recipient who has not joined yet, and prints the appointment in the treating clinic's zone", async () => {
    const invited = sample();
    invited.recipient = null;
    invited.invitee = { fullName: 'Dr Kim Lee', email: 'kim@example.test', role: 'physical_therapist' };
    // Latin-1 prints exactly: no note about the spelling.
    invited.patient = { ...invited.patient, firstName: 'Zoë', lastName: 'Núñez' };
    const { text } = await pdfText(await renderReferralLetter(invited));
    expect(text).not.toContain('Some letters of this name');
    for (const expected of ['Zoë Núñez', 'Dr Kim Lee', 'kim@example.test', 'Not yet on ReferLoop', 'Clinique Physio Élan']) {
      expect(text).toContain(expected);
    }
    const booked = await pdfText(await renderReferralLetter(sample({ appointment_at: '2026-12-02T15:00:00.000Z' })));
    expect(booked.text).toContain('2 Dec 2026, 10:00 GMT-5 (America/Toronto)');
    // 01:30 happens twice in Toronto on 2027-11-07 (EDT, then EST): the two letters say which.
    const first = await pdfText(await renderReferralLetter(sample({ appointment_at: '2027-11-07T05:30:00.000Z' })));
    const second = await pdfText(await renderReferralLetter(sample({ appointment_at: '2027-11-07T06:30:00.000Z' })));
    expect(first.text).toContain('7 Nov 2027, 01:30 GMT-4 (America/Toronto)');
    expect(second.text).toContain('7 Nov 2027, 01:30 GMT-5 (America/Toronto)');
  });
});

describe('outcome report PDF', () => {
  it('says how many earlier progress reports it leaves out', async () => {
    const leftOut = (await pdfText(await renderOutcomeReport(sample({ progress_count: 120 })))).text;
    expect(leftOut).toContain('The latest 1 of 120 progress reports; the earlier ones are in ReferLoop.');
    expect(leftOut).toContain('Stiff mornings');
    const whole = (await pdfText(await renderOutcomeReport(sample({ progress_count: 1 })))).text;
    expect(whole).not.toContain('The latest');
  });

  it('prints the measures, the progress reports and the key dates (not notes) under the treating clinic', async () => {
    const { text } = await pdfText(await renderOutcomeReport(sample()));
    for (const expected of [
      'Outcome report',
      'Studio Détente',
      'Back to work',
      '7 / 10 at referral, 2 / 10 at discharge',
      '8.5',
      'Visits',
      'Progress reports',
      '3 sessions completed, pain 4 / 10, Some soreness',
      'Stiff mornings',
      'Key dates',
      'Outcome sent',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('Note added');
  });

  it.each([
    [5, '5 sessions completed, Tolerated well'],
    [1, '1 session completed, Tolerated well'],
  ])(
    'reads progress reports from the timeline when the referral has no progress column (%i, the count in words)',
    async (sessionsCompleted, line) => {
      const document = sample({ progress: undefined });
      document.timeline.push({
        type: 'progress_reported',
        fromStatus: 'in_care',
        toStatus: 'in_care',
        occurredAt: '2026-11-05T15:00:00Z',
        data: { progress: { sessionsCompleted, tolerance: 'well' } },
      });
      const { text } = await pdfText(await renderOutcomeReport(document));
      expect(text).toContain(line);
    },
  );
});

describe('pdfFileName', () => {
  it('names the file by the short id only', () => {
    expect(pdfFileName('letter', '0f8b2c4e-1111-4222-8333-944455556666')).toBe('referral-0f8b2c4e.pdf');
    expect(pdfFileName('outcome', '0f8b2c4e-1111-4222-8333-944455556666')).toBe('outcome-0f8b2c4e.pdf');
  });
});
