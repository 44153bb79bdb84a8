import { Client } from 'pg';
import {
  act,
  actionBody,
  actOk,
  countRows,
  createPatient,
  createReferral,
  dateInDays,
  injuryReferralBody,
  maintenanceReferralBody,
  referralIn,
} from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
} from './support/test-app';

const PLAN = { frequencyWeeks: 2, pressure: 'moderate', precautions: 'No deep pressure over the AC joint' };

/** Issue 12 items 3–5: the maintenance plan, outcome measures, follow-up and patient import. */
describe('maintenance follow-up', () => {
  let t: TestApp;
  let sql: Client;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let ptAdmin: SignedInUser;
  let lmtAdmin: SignedInUser;
  let otherLmt: SignedInUser;
  let thirdPt: SignedInUser;
  let lmtPatient: { id: string; firstName: string; lastName: string };

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    const massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    const other = await registerClinic(t.http, { name: 'Eastside Bodywork' });
    const third = await registerClinic(t.http, { name: 'Third Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
    ptAdmin = physio.admin;
    lmtAdmin = massage.admin;
    otherLmt = await addPractitioner(t.http, other, 'massage_therapist');
    thirdPt = await addPractitioner(t.http, third, 'physical_therapist');
    lmtPatient = await createPatient(t.http, lmt, { firstName: 'Morgan', lastName: 'Lee', dateOfBirth: '1988-04-12' });
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  const ptPatient = () => createPatient(t.http, pt);
  const postMaintenance = async (plan: unknown) =>
    t.http
      .post('/api/v1/referrals')
      .set(pt.auth)
      .send(maintenanceReferralBody((await ptPatient()).id, lmt.id, { plan }));
  // Each test's referral is of a person of its own: a clinic keeps one copy of each person it is referred.
  const morgan = () => createPatient(t.http, lmt, { firstName: 'Morgan', lastName: 'Lee', dateOfBirth: '1988-04-12' });
  const injuryIn = async (status: string, patientId?: string) =>
    referralIn(t.http, { sender: lmt, recipient: pt }, patientId ?? (await morgan()).id, status);
  const shareConsent = (user: SignedInUser, patientId: string) =>
    t.http.post(`/api/v1/patients/${patientId}/consents`).set(user.auth).send({ scope: 'referral_sharing' });
  const followUp = (user: SignedInUser, id: string, body: Record<string, unknown> = {}) =>
    t.http.post(`/api/v1/referrals/${id}/follow-up`).set(user.auth).send(body);
  const importPatient = (user: SignedInUser, referralId: string) =>
    t.http.post('/api/v1/patients/import').set(user.auth).send({ referralId });

  describe('the plan', () => {
    it.each([
      ['neither frequency', { pressure: 'light', precautions: 'x' }, 'plan.frequencyWeeks'],
      ['both frequencies', { ...PLAN, sessionsPerWeek: 2 }, 'plan.frequencyWeeks'],
      ['frequencyWeeks 53', { ...PLAN, frequencyWeeks: 53 }, 'plan.frequencyWeeks'],
      ['sessionsPerWeek 8', { ...PLAN, frequencyWeeks: undefined, sessionsPerWeek: 8 }, 'plan.sessionsPerWeek'],
      ['sessions 0', { ...PLAN, sessions: 0 }, 'plan.sessions'],
      ['reportEveryWeeks 0', { ...PLAN, reportEveryWeeks: 0 }, 'plan.reportEveryWeeks'],
      ['reviewBy not a date', { ...PLAN, reviewBy: '2026-02-30' }, 'plan.reviewBy'],
      ['reviewBy in the past', { ...PLAN, reviewBy: '2020-01-01' }, 'plan.reviewBy'],
      ['blank precautions', { ...PLAN, precautions: '   ' }, 'plan.precautions'],
      ['no precautions', { frequencyWeeks: 2, pressure: 'light' }, 'plan.precautions'],
      ['no pressure', { frequencyWeeks: 2, precautions: 'x' }, 'plan.pressure'],
      ['unknown pressure', { ...PLAN, pressure: 'hard' }, 'plan.pressure'],
      ['unknown contraindication', { ...PLAN, contraindications: ['headache'] }, 'plan.contraindications'],
      ['eleven goals', { ...PLAN, goals: Array.from({ length: 11 }, (_, i) => `goal ${i}`) }, 'plan.goals'],
      ['a goal of 201 characters', { ...PLAN, goals: ['g'.repeat(201)] }, 'plan.goals'],
      ['unknown focus area', { ...PLAN, focusAreas: ['aura'] }, 'plan.focusAreas'],
    ])('refuses %s (400 naming %s)', async (_name, plan, field) => {
      const before = await countRows(sql, 'referrals');
      const res = await postMaintenance(plan);
      expectProblem(res, 400, 'validation_failed');
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
      expect(await countRows(sql, 'referrals')).toBe(before);
    });

    it('stores the whole plan, twice a week or every N weeks, and shows it to the LMT before accepting', async () => {
      const plan = {
        sessionsPerWeek: 2,
        sessions: 12,
        durationWeeks: 6,
        reviewBy: dateInDays(400),
        goals: ['Walk 5 km without pain'],
        focusAreas: ['lower_back'],
        pressure: 'light',
        contraindications: ['anticoagulants', 'osteoporosis'],
        precautions: '  Avoid deep pressure on the lumbar spine  ',
        reportEveryWeeks: 4,
      };
      const res = await postMaintenance(plan);
      expect(res.status).toBe(201);
      const expected = { ...plan, frequencyWeeks: null, precautions: 'Avoid deep pressure on the lumbar spine' };
      expect(res.body.plan).toEqual(expected);
      await actOk(t.http, pt, res.body, 'send');
      const seen = await t.http.get(`/api/v1/referrals/${res.body.id}`).set(lmt.auth).expect(200);
      expect(seen.body.plan).toEqual(expected);
      expect(seen.body.allowedActions).toContain('accept');
    });

    it('reads a plan stored in the old shape', async () => {
      const res = await postMaintenance(PLAN);
      await sql.query(
        `UPDATE referrals SET plan = '{"frequencyWeeks": 3, "focusAreas": ["neck"], "precautions": "Gentle"}' WHERE id = $1`,
        [res.body.id],
      );
      const read = await t.http.get(`/api/v1/referrals/${res.body.id}`).set(pt.auth).expect(200);
      expect(read.body.plan).toMatchObject({
        frequencyWeeks: 3,
        sessionsPerWeek: null,
        pressure: null,
        goals: [],
        precautions: 'Gentle',
      });
    });
  });

  describe('outcome measures', () => {
    it('round-trips summary, pain, PSFS, visits and recommendMaintenance with sentAt', async () => {
      const inCare = await injuryIn('in_care');
      const outcome = {
        summary: 'Discharged: full range of motion',
        recommendations: 'Maintenance massage',
        painLevel: 2,
        psfs: 7.5,
        visits: 8,
        recommendMaintenance: true,
      };
      const sent = await actOk(t.http, pt, inCare, 'send-outcome', { outcome });
      expect(sent.outcome).toEqual({ ...outcome, sentAt: expect.any(String) });
      const read = await t.http.get(`/api/v1/referrals/${inCare.id}`).set(lmt.auth).expect(200);
      expect(read.body.outcome).toEqual(sent.outcome);
    });

    it.each([
      ['painLevel 11', { painLevel: 11 }, 'outcome.painLevel'],
      ['psfs -1', { psfs: -1 }, 'outcome.psfs'],
      ['visits 1.5', { visits: 1.5 }, 'outcome.visits'],
      ['recommendMaintenance "yes"', { recommendMaintenance: 'yes' }, 'outcome.recommendMaintenance'],
    ])('refuses %s (400 naming %s)', async (_name, extra, field) => {
      const inCare = await injuryIn('in_care');
      const res = await act(t.http, pt, inCare.id, 'send-outcome', inCare.version, { outcome: { summary: 'Done', ...extra } });
      expectProblem(res, 400, 'validation_failed');
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    });
  });

  describe('follow-up', () => {
    it('drafts a maintenance referral for the same person to the original LMT, linked both ways', async () => {
      const injury = await injuryIn('outcome_sent');
      const res = await followUp(pt, injury.id, { plan: PLAN });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        kind: 'maintenance_massage',
        status: 'draft',
        senderId: pt.id,
        recipientId: lmt.id,
        previousId: injury.id,
        followUpIds: [],
        patient: { firstName: 'Morgan', lastName: 'Lee', dateOfBirth: '1988-04-12' },
      });
      expect(res.body.patientId).not.toBe(lmtPatient.id);
      const copy = await t.http.get(`/api/v1/patients/${res.body.patientId}`).set(pt.auth).expect(200);
      expect(copy.body).toMatchObject({ firstName: 'Morgan', lastName: 'Lee', dateOfBirth: '1988-04-12', consents: [] });

      const original = await t.http.get(`/api/v1/referrals/${injury.id}`).set(pt.auth).expect(200);
      expect(original.body.followUpIds).toEqual([res.body.id]);
      // The LMT does not see the draft, nor its id, until it is sent.
      const asLmt = await t.http.get(`/api/v1/referrals/${injury.id}`).set(lmt.auth).expect(200);
      expect(asLmt.body.followUpIds).toEqual([]);

      // Consent is the PT clinic's to record; then the draft can be sent and the LMT sees both links.
      expectProblem(await act(t.http, pt, res.body.id, 'send', res.body.version), 422, 'consent_required');
      await t.http
        .post(`/api/v1/patients/${res.body.patientId}/consents`)
        .set(pt.auth)
        .send({ scope: 'referral_sharing' })
        .expect(201);
      await actOk(t.http, pt, res.body, 'send');
      const linked = await t.http.get(`/api/v1/referrals/${injury.id}`).set(lmt.auth).expect(200);
      expect(linked.body.followUpIds).toEqual([res.body.id]);
      const followed = await t.http.get(`/api/v1/referrals/${res.body.id}`).set(lmt.auth).expect(200);
      expect(followed.body.previousId).toBe(injury.id);
    });

    it("takes a create's other fields too: the whole form is one draft, one `created` event", async () => {
      const injury = await injuryIn('closed');
      const form = {
        plan: PLAN,
        priority: 'urgent',
        bodyRegions: ['lower_back'],
        painLevel: 3,
        neededBy: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10),
        redFlags: ['night_pain'],
      };
      const draft = (await followUp(pt, injury.id, form).expect(201)).body;
      expect(draft).toMatchObject({ priority: 'urgent', bodyRegions: ['lower_back'], painLevel: 3, neededBy: form.neededBy });
      expect(draft.redFlags).toEqual(['night_pain']);
      const events = (await t.http.get(`/api/v1/referrals/${draft.id}/events`).set(pt.auth).expect(200)).body.items;
      expect(events.map((e: { type: string }) => e.type)).toEqual(['created']);
      // Its rules hold as in a create, and on a repeat (which changes the open draft as given).
      expectProblem(await followUp(pt, injury.id, { priority: 'routine' }), 422, 'red_flags_require_urgent');
      const repeated = (await followUp(pt, injury.id, { painLevel: 5 }).expect(200)).body;
      expect(repeated).toMatchObject({ id: draft.id, painLevel: 5, priority: 'urgent' });
      // Its dates too: a date already past is refused on a repeat as in a create, and nothing is written.
      const past = await followUp(pt, injury.id, { neededBy: '2020-01-01' });
      expectProblem(past, 400, 'validation_failed');
      expect(past.body.errors).toEqual([expect.objectContaining({ field: 'neededBy' })]);
      const stale = await followUp(pt, injury.id, { plan: { ...PLAN, reviewBy: '2020-01-01' } });
      expectProblem(stale, 400, 'validation_failed');
      expect(stale.body.errors).toEqual([expect.objectContaining({ field: 'plan.reviewBy' })]);
      const now = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(pt.auth).expect(200)).body;
      expect(now).toMatchObject({ version: repeated.version, neededBy: form.neededBy, plan: repeated.plan });
    });

    it('a draft without a plan cannot be sent until it has one', async () => {
      const injury = await injuryIn('in_care');
      const draft = (await followUp(pt, injury.id).expect(201)).body;
      expect(draft.plan).toBeNull();
      await t.http.post(`/api/v1/patients/${draft.patientId}/consents`).set(pt.auth).send({ scope: 'referral_sharing' });
      const res = await act(t.http, pt, draft.id, 'send', draft.version);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'plan' })]);
    });

    it('may name another LMT, and a second follow-up reuses the same patient copy', async () => {
      const injury = await injuryIn('closed');
      const first = (await followUp(pt, injury.id, { plan: PLAN }).expect(201)).body;
      const second = (await followUp(ptAdmin, injury.id, { plan: PLAN, recipientId: otherLmt.id }).expect(201)).body;
      expect(second).toMatchObject({ recipientId: otherLmt.id, senderId: pt.id, patientId: first.patientId });
      expect(await countRows(sql, 'patients', 'source_referral_id = $1', [injury.id])).toBe(1);
    });

    it("a second injury referral of the same person follows up with the PT clinic's one copy, consent and all", async () => {
      const person = await morgan();
      const first = (await followUp(pt, (await injuryIn('outcome_sent', person.id)).id, { plan: PLAN }).expect(201)).body;
      await shareConsent(pt, first.patientId).expect(201);
      const second = (await followUp(pt, (await injuryIn('outcome_sent', person.id)).id, { plan: PLAN }).expect(201)).body;
      expect(second.patientId).toBe(first.patientId);
      await actOk(t.http, pt, second, 'send');
      expect(await countRows(sql, 'patients', 'origin_patient_id = $1', [person.id])).toBe(1);
    });

    it('a double click makes one draft: repeats, at once or later, answer the draft still open to that LMT', async () => {
      const injury = await injuryIn('outcome_sent');
      const answers = await Promise.all(Array.from({ length: 5 }, () => followUp(pt, injury.id, { plan: PLAN })));
      // One made it (201); the others answer it (200), as POST /patients/import answers its copy.
      expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
      expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
      const later = await followUp(pt, injury.id, { plan: PLAN }).expect(200);
      expect(later.body.id).toBe(answers[0].body.id);
      // A repeat naming no plan or reason (null, as a first request may) changes nothing (was a 500).
      for (const body of [{ plan: null }, { reason: null }]) {
        const repeat = await followUp(pt, injury.id, body).expect(200);
        expect(repeat.body).toMatchObject({ id: later.body.id, version: later.body.version, plan: later.body.plan });
      }
      expect(await countRows(sql, 'referrals', 'previous_id = $1', [injury.id])).toBe(1);
      // Another LMT is another follow-up.
      const other = await followUp(pt, injury.id, { plan: PLAN, recipientId: otherLmt.id }).expect(201);
      expect(other.body.id).not.toBe(later.body.id);
    });

    it('a repeat that names another plan or text writes it into the open draft (never dropped), once', async () => {
      const injury = await injuryIn('outcome_sent');
      const first = (await followUp(pt, injury.id).expect(201)).body;
      expect(first.plan).toBeNull();
      const plan = { ...PLAN, goals: ['Keep the shoulder moving'] };
      const repeats = await Promise.all(
        Array.from({ length: 3 }, () => followUp(pt, injury.id, { plan, reason: 'Shoulder upkeep', observations: 'Full range' })),
      );
      expect(repeats.map((r) => r.status)).toEqual([200, 200, 200]);
      for (const r of repeats) {
        expect(r.body).toMatchObject({ id: first.id, reason: 'Shoulder upkeep', observations: 'Full range' });
        expect(r.body.plan.goals).toEqual(['Keep the shoulder moving']);
      }
      // One edit, whichever repeat came first; the same body again changes nothing.
      const edits = await sql.query("SELECT data FROM referral_events WHERE referral_id = $1 AND type = 'draft_updated'", [
        first.id,
      ]);
      expect(edits.rows).toEqual([{ data: { fields: ['plan', 'reason', 'observations'] } }]);
      const read = await t.http.get(`/api/v1/referrals/${first.id}`).set(pt.auth).expect(200);
      expect(read.body).toMatchObject({ version: first.version + 1, reason: 'Shoulder upkeep' });
      expect(await countRows(sql, 'referrals', 'previous_id = $1', [injury.id])).toBe(1);
    });

    it('a follow-up the LMT declines, redirected to another LMT, is still a follow-up of the injury referral', async () => {
      const injury = await injuryIn('outcome_sent');
      const first = (await followUp(pt, injury.id, { plan: PLAN }).expect(201)).body;
      await t.http
        .post(`/api/v1/patients/${first.patientId}/consents`)
        .set(pt.auth)
        .send({ scope: 'referral_sharing' })
        .expect(201);
      const sent = await actOk(t.http, pt, first, 'send');
      await actOk(t.http, lmt, sent, 'decline', actionBody('decline'));
      const redirected = await t.http
        .post('/api/v1/referrals')
        .set(pt.auth)
        .send(maintenanceReferralBody(first.patientId, otherLmt.id, { replacesId: first.id }))
        .expect(201);
      expect(redirected.body).toMatchObject({ replacesId: first.id, previousId: injury.id });
      const original = await t.http.get(`/api/v1/referrals/${injury.id}`).set(pt.auth).expect(200);
      expect(original.body.followUpIds).toEqual([first.id, redirected.body.id]);
    });

    it('409 from a wrong state, 403 for the sender side, 404 for a third clinic', async () => {
      const accepted = await injuryIn('accepted');
      const wrong = await followUp(pt, accepted.id, { plan: PLAN });
      expectProblem(wrong, 409, 'invalid_transition');
      expect(wrong.body.currentStatus).toBe('accepted');
      // What the PT may do now, as the referral itself says.
      const seen = await t.http.get(`/api/v1/referrals/${accepted.id}`).set(pt.auth).expect(200);
      expect(wrong.body.allowedActions).toEqual(seen.body.allowedActions);
      const inCare = await injuryIn('in_care');
      expectProblem(await followUp(lmt, inCare.id, { plan: PLAN }), 403, 'forbidden');
      expectProblem(await followUp(thirdPt, inCare.id, { plan: PLAN }), 404, 'not_found');
      expect(await countRows(sql, 'referrals', 'previous_id = $1', [inCare.id])).toBe(0);
    });

    it('a follow-up to someone who is not an LMT is 422 recipient_type_mismatch naming recipientId', async () => {
      const injury = await injuryIn('in_care');
      const res = await followUp(pt, injury.id, { plan: PLAN, recipientId: thirdPt.id });
      expectProblem(res, 422, 'recipient_type_mismatch');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'recipientId' })]);
    });

    it('may invite an LMT not on ReferLoop (recipientInvite), also when the original LMT takes no referrals now', async () => {
      const solo = await registerClinic(t.http, { name: 'Quiet Hands Massage' });
      const busy = await addPractitioner(t.http, solo, 'massage_therapist');
      const injury = await referralIn(
        t.http,
        { sender: busy, recipient: pt },
        (await createPatient(t.http, busy)).id,
        'outcome_sent',
      );
      await t.http.patch(`/api/v1/practitioners/${busy.id}`).set(busy.auth).send({ acceptingReferrals: false }).expect(200);
      const invite = { email: 'nora.newbie@example.test', fullName: 'Nora Newbie', role: 'massage_therapist' };

      const both = await followUp(pt, injury.id, { plan: PLAN, recipientId: otherLmt.id, recipientInvite: invite });
      expectProblem(both, 400, 'validation_failed');
      expect(both.body.errors).toEqual([expect.objectContaining({ field: 'recipientInvite' })]);
      const wrongRole = await followUp(pt, injury.id, { plan: PLAN, recipientInvite: { ...invite, role: 'physical_therapist' } });
      expectProblem(wrongRole, 422, 'recipient_type_mismatch');
      expect(wrongRole.body.errors).toEqual([expect.objectContaining({ field: 'recipientInvite.role' })]);
      expect(await countRows(sql, 'referrals', 'previous_id = $1', [injury.id])).toBe(0);

      const draft = (await followUp(pt, injury.id, { plan: PLAN, recipientInvite: invite }).expect(201)).body;
      expect(draft).toMatchObject({
        kind: 'maintenance_massage',
        senderId: pt.id,
        recipientId: null,
        previousId: injury.id,
        recipientInvite: { email: invite.email, fullName: 'Nora Newbie', role: 'massage_therapist', status: 'pending' },
      });
      // A repeat (the address in other capitals) answers the same draft; the original LMT's would be another.
      const repeat = await followUp(pt, injury.id, { recipientInvite: { ...invite, email: 'Nora.Newbie@Example.test' } });
      expect(repeat.status).toBe(200);
      expect(repeat.body.id).toBe(draft.id);
      expectProblem(await followUp(pt, injury.id, { plan: PLAN }), 422, 'recipient_not_accepting');
      expect(await countRows(sql, 'referrals', 'previous_id = $1', [injury.id])).toBe(1);

      // Sent, it invites her (the email goes through the outbox), and the original LMT sees nothing of it.
      await shareConsent(pt, draft.patientId).expect(201);
      const sent = await actOk(t.http, pt, draft, 'send');
      expect(sent).toMatchObject({ status: 'sent', recipientId: null });
      expect(await countRows(sql, 'outbox_events', "referral_id = $1 AND type = 'referral.sent'", [draft.id])).toBe(1);
      expectProblem(await t.http.get(`/api/v1/referrals/${draft.id}`).set(busy.auth), 404, 'not_found');
    });

    it('a maintenance referral cannot be followed up (409)', async () => {
      const res = await postMaintenance(PLAN);
      expectProblem(await followUp(pt, res.body.id), 409, 'invalid_transition');
    });
  });

  describe('POST /patients/import', () => {
    it('copies the patient once: 201 new, then 200 with the existing copy', async () => {
      const injury = await injuryIn('accepted');
      const created = await importPatient(pt, injury.id).expect(201);
      expect(created.body).toMatchObject({ firstName: 'Morgan', lastName: 'Lee', dateOfBirth: '1988-04-12' });
      const again = await importPatient(ptAdmin, injury.id).expect(200);
      expect(again.body.id).toBe(created.body.id);
    });

    it('a later referral of the same person answers the same copy (200), with the consent recorded on it', async () => {
      const person = await morgan();
      const copy = (await importPatient(pt, (await injuryIn('accepted', person.id)).id).expect(201)).body;
      await shareConsent(pt, copy.id).expect(201);
      const again = await importPatient(ptAdmin, (await injuryIn('accepted', person.id)).id).expect(200);
      expect(again.body).toMatchObject({ id: copy.id, consents: [expect.objectContaining({ scope: 'referral_sharing' })] });
      const found = await t.http.get('/api/v1/patients').query({ q: 'Lee' }).set(pt.auth).expect(200);
      expect(found.body.items.filter((p: { id: string }) => p.id === copy.id || p.id === person.id)).toHaveLength(1);
      expect(await countRows(sql, 'patients', 'origin_patient_id = $1', [person.id])).toBe(1);
    });

    it('concurrent imports from two referrals of one person make one copy', async () => {
      const person = await morgan();
      const referrals = [await injuryIn('accepted', person.id), await injuryIn('accepted', person.id)];
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => importPatient(pt, referrals[i % 2].id)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(await countRows(sql, 'patients', 'origin_patient_id = $1', [person.id])).toBe(1);
    });

    it("on the way back, the sending clinic's import of the maintenance referral answers its own patient", async () => {
      const person = await morgan();
      const draft = (await followUp(pt, (await injuryIn('outcome_sent', person.id)).id, { plan: PLAN }).expect(201)).body;
      await shareConsent(pt, draft.patientId).expect(201);
      const maintenance = await actOk(t.http, pt, draft, 'send');
      await actOk(t.http, lmt, maintenance, 'accept');
      const own = await importPatient(lmt, maintenance.id).expect(200);
      expect(own.body.id).toBe(person.id);
      expect(await countRows(sql, 'patients', 'origin_patient_id = $1', [person.id])).toBe(1);
    });

    it('concurrent imports make one copy', async () => {
      const injury = await injuryIn('accepted');
      const answers = await Promise.all(Array.from({ length: 6 }, () => importPatient(pt, injury.id)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(await countRows(sql, 'patients', 'source_referral_id = $1', [injury.id])).toBe(1);
    });

    it.each(['received', 'declined', 'cancelled'])(
      'refuses a referral %s (409 invalid_transition): the recipient has not taken it on',
      async (status) => {
        const injury = await injuryIn(status);
        const res = await importPatient(pt, injury.id);
        expectProblem(res, 409, 'invalid_transition');
        expect(res.body.currentStatus).toBe(status);
        expect(await countRows(sql, 'patients', 'source_referral_id = $1', [injury.id])).toBe(0);
      },
    );

    it('an import racing the confirmed cancel either copies first or is refused, never both', async () => {
      for (let round = 0; round < 4; round++) {
        const injury = await injuryIn('cancel_requested');
        const [imported, cancelled] = await Promise.all([
          importPatient(pt, injury.id),
          t.http.post(`/api/v1/referrals/${injury.id}/confirm-cancel`).set(pt.auth).send({ version: injury.version }),
        ]);
        expect(cancelled.status).toBe(200);
        const copies = await countRows(sql, 'patients', 'source_referral_id = $1', [injury.id]);
        if (imported.status === 409) {
          expect(imported.body.currentStatus).toBe('cancelled');
          expect(copies).toBe(0);
        } else {
          expect(imported.status).toBe(201);
          expect(copies).toBe(1);
        }
      }
    });

    it('only the recipient side may import: the sender side and a third clinic get 404', async () => {
      const injury = await injuryIn('accepted');
      expectProblem(await importPatient(lmt, injury.id), 404, 'not_found');
      expectProblem(await importPatient(lmtAdmin, injury.id), 404, 'not_found');
      expectProblem(await importPatient(thirdPt, injury.id), 404, 'not_found');
      const draft = await createReferral(t.http, lmt, injuryReferralBody(lmtPatient.id, pt.id));
      expectProblem(await importPatient(pt, draft.id), 404, 'not_found');
      expect(await countRows(sql, 'patients', 'source_referral_id IN ($1, $2)', [injury.id, draft.id])).toBe(0);
    });
  });

  describe('admin metrics', () => {
    it('reports the median pain change from referral to outcome', async () => {
      const clinic = await registerClinic(t.http, { name: 'Pain Metrics Massage' });
      const sender = await addPractitioner(t.http, clinic, 'massage_therapist');
      const patient = await createPatient(t.http, sender);
      for (const [atReferral, atOutcome] of [
        [8, 2],
        [6, 5],
        [7, 3],
      ]) {
        let ref = await createReferral(t.http, sender, injuryReferralBody(patient.id, pt.id, { painLevel: atReferral }));
        for (const action of ['send', 'accept', 'schedule', 'start-care'] as const) {
          const actor = action === 'send' ? sender : pt;
          ref = await actOk(
            t.http,
            actor,
            ref,
            action,
            action === 'schedule' ? { appointmentAt: new Date(Date.now() + 86_400_000).toISOString() } : {},
          );
        }
        await actOk(t.http, pt, ref, 'send-outcome', { outcome: { summary: 'Discharged', painLevel: atOutcome } });
      }
      const res = await t.http.get('/api/v1/admin/metrics').set(clinic.admin.auth).expect(200);
      // Changes −6, −1, −4: the median is −4.
      expect(res.body.clinic.medianPainChange).toBe(-4);
    });
  });
});
