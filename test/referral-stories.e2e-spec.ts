import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';
import {
  actOk,
  createPatient,
  createReferral,
  inDays,
  injuryReferralBody,
  maintenanceReferralBody,
} from './support/referral-helpers';

/** The two closed-loop stories, end to end over HTTP. */
describe('referral stories', () => {
  let t: TestApp;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let otherMassageClinic: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let lmt2: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio', city: 'Austin', postalCode: '78702' });
    otherMassageClinic = await registerClinic(t.http, { name: 'Eastside Bodywork' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist', {
      fullName: 'Priya Physio',
      specialties: ['sports_injury'],
    });
    lmt2 = await addPractitioner(t.http, otherMassageClinic, 'massage_therapist', { fullName: 'Maya Maintenance' });
  });
  afterAll(() => t.close());

  it('(a) LMT refers shoulder pain after a fall; PT treats and reports back; LMT closes the loop', async () => {
    const patient = await createPatient(t.http, lmt);

    // The LMT finds the PT in the directory.
    const directory = await t.http
      .get('/api/v1/practitioners')
      .query({ type: 'physical_therapist', specialty: 'sports_injury', city: 'austin', acceptingReferrals: 'true' })
      .set(lmt.auth)
      .expect(200);
    expect(directory.body.items.map((p: { id: string }) => p.id)).toContain(pt.id);

    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    expect(referral).toMatchObject({ status: 'draft', version: 1, kind: 'injury_care', senderId: lmt.id, recipientId: pt.id });
    expect(referral.allowedActions).toEqual(expect.arrayContaining(['send', 'cancel']));

    referral = await actOk(t.http, lmt, referral, 'send');
    expect(referral.status).toBe('sent');

    // The PT sees it in the received box and reads it: the first read acknowledges it.
    const inbox = await t.http.get('/api/v1/referrals').query({ box: 'received' }).set(pt.auth).expect(200);
    expect(inbox.body.items.map((r: { id: string }) => r.id)).toContain(referral.id);
    const read = await t.http.get(`/api/v1/referrals/${referral.id}`).set(pt.auth).expect(200);
    expect(read.body.status).toBe('received');
    expect(read.body.patient).toMatchObject({ firstName: 'Jamie', lastName: 'Rivera' });
    referral = read.body;

    referral = await actOk(t.http, pt, referral, 'accept', { note: 'Happy to see them this week' });
    referral = await actOk(t.http, pt, referral, 'schedule', { appointmentAt: inDays(3) });
    expect(referral.appointmentAt).not.toBeNull();
    referral = await actOk(t.http, pt, referral, 'start-care');
    referral = await actOk(t.http, pt, referral, 'add-note', {
      note: 'Progressing well; rotator cuff strain, no tear suspected',
    });
    expect(referral.status).toBe('in_care');
    referral = await actOk(t.http, pt, referral, 'send-outcome', {
      outcome: {
        summary: 'Full range of motion restored after 4 sessions',
        recommendations: 'Maintenance massage every 2 weeks',
      },
    });
    expect(referral.outcome).toMatchObject({ summary: 'Full range of motion restored after 4 sessions' });

    // The sender learns what happened and closes the loop.
    const senderView = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    expect(senderView.body.status).toBe('outcome_sent');
    referral = await actOk(t.http, lmt, senderView.body, 'close');
    expect(referral.status).toBe('closed');
    expect(referral.timeline.map((e: { type: string }) => e.type)).toEqual([
      'created',
      'sent',
      'acknowledged',
      'accepted',
      'scheduled',
      'care_started',
      'note_added',
      'outcome_sent',
      'closed',
    ]);

    // Both clinics' admins see it in their clinic box.
    for (const admin of [massageClinic.admin, ptClinic.admin]) {
      const box = await t.http.get('/api/v1/referrals').query({ box: 'clinic' }).set(admin.auth).expect(200);
      expect(box.body.items.map((r: { id: string }) => r.id)).toContain(referral.id);
    }
  });

  it('(b) the PT sends a maintenance-massage referral with a plan to an LMT in another clinic, who accepts and schedules', async () => {
    const patient = await createPatient(t.http, pt, { firstName: 'Jamie', lastName: 'Rivera' });
    let referral = await createReferral(t.http, pt, maintenanceReferralBody(patient.id, lmt2.id));
    expect(referral.plan).toEqual({
      frequencyWeeks: 2,
      sessionsPerWeek: null,
      sessions: 6,
      durationWeeks: null,
      reviewBy: null,
      goals: [],
      focusAreas: ['shoulder_left', 'neck'],
      pressure: 'moderate',
      contraindications: [],
      precautions: 'No deep pressure over the AC joint',
      reportEveryWeeks: null,
    });
    referral = await actOk(t.http, pt, referral, 'send');

    const read = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt2.auth).expect(200);
    referral = await actOk(t.http, lmt2, read.body, 'accept');
    referral = await actOk(t.http, lmt2, referral, 'schedule', { appointmentAt: inDays(7) });
    expect(referral).toMatchObject({ status: 'scheduled', kind: 'maintenance_massage', senderId: pt.id, recipientId: lmt2.id });

    const sent = await t.http.get('/api/v1/referrals').query({ box: 'sent' }).set(pt.auth).expect(200);
    expect(sent.body.items.find((r: { id: string }) => r.id === referral.id)?.status).toBe('scheduled');
  });
});
