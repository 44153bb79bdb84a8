import { randomUUID } from 'node:crypto';
import { Clock } from '@referloop/common';
import { lapsedLicenceDate, practitionerPayload } from '@referloop/testing';
import { Client } from 'pg';
import {
  act,
  actOk,
  countRows,
  createPatient,
  createReferral,
  dateInDays,
  inDays,
  injuryReferralBody,
  maintenanceReferralBody,
  referralIn,
} from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  signInAgain,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

type Consent = { id: string; scope: string; active: boolean; revokedAt: string | null };
type Listed = { id: string; status: string; kind: string; patientId: string; updatedAt: string };

/** The business rules of SPEC.md around creating, sending and moving referrals, and the listing. */
describe('referral rules', () => {
  let t: TestApp;
  let sql: Client;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let otherMassageClinic: TestClinic;
  let lmt: SignedInUser;
  let lmtColleague: SignedInUser;
  let pt: SignedInUser;
  let pt2: SignedInUser;
  let lmt2: SignedInUser;
  let patientId: string;

  const post = (user: SignedInUser, body: Record<string, unknown>) => t.http.post('/api/v1/referrals').set(user.auth).send(body);
  const readAsSender = async (id: string, sender: SignedInUser = lmt) =>
    (await t.http.get(`/api/v1/referrals/${id}`).set(sender.auth).expect(200)).body;

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    otherMassageClinic = await registerClinic(t.http, { name: 'Eastside Bodywork' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    lmtColleague = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    pt2 = await addPractitioner(t.http, ptClinic, 'physical_therapist', { fullName: 'Second Physio' });
    lmt2 = await addPractitioner(t.http, otherMassageClinic, 'massage_therapist');
    patientId = (await createPatient(t.http, lmt)).id;
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  describe('consent gating', () => {
    it('a draft may be written without consent, but sending it needs referral_sharing consent', async () => {
      const patient = await createPatient(t.http, lmt, {}, false);
      const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
      const refused = await act(t.http, lmt, draft.id, 'send', draft.version);
      expectProblem(refused, 422, 'consent_required');
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'patientId' })]);
      expect(await readAsSender(draft.id)).toMatchObject({ status: 'draft', version: draft.version });

      // A consent of another scope is not enough.
      await t.http
        .post(`/api/v1/patients/${patient.id}/consents`)
        .set(lmt.auth)
        .send({ scope: 'patient_notifications' })
        .expect(201);
      expectProblem(await act(t.http, lmt, draft.id, 'send', draft.version), 422, 'consent_required');

      await t.http.post(`/api/v1/patients/${patient.id}/consents`).set(lmt.auth).send({ scope: 'referral_sharing' }).expect(201);
      const sent = await actOk(t.http, lmt, draft, 'send');
      expect(sent.status).toBe('sent');
    });

    it('a revoked consent blocks sending; granting it again unblocks it', async () => {
      const patient = (await createPatient(t.http, lmt)) as unknown as { id: string; consents: Consent[] };
      const [consent] = patient.consents;
      expect(consent).toMatchObject({ scope: 'referral_sharing', active: true });

      const revoked = await t.http.post(`/api/v1/patients/${patient.id}/consents/${consent.id}/revoke`).set(lmt.auth).expect(200);
      expect(revoked.body).toMatchObject({ id: consent.id, active: false, revokedAt: expect.any(String), revokedBy: lmt.id });
      // Revoking again changes nothing.
      const again = await t.http.post(`/api/v1/patients/${patient.id}/consents/${consent.id}/revoke`).set(lmt.auth).expect(200);
      expect(again.body.revokedAt).toBe(revoked.body.revokedAt);

      const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
      expectProblem(await act(t.http, lmt, draft.id, 'send', draft.version), 422, 'consent_required');

      const granted = await t.http
        .post(`/api/v1/patients/${patient.id}/consents`)
        .set(lmt.auth)
        .send({ scope: 'referral_sharing' })
        .expect(201);
      expect(granted.body).toMatchObject({ scope: 'referral_sharing', active: true, recordedBy: lmt.id });
      expect(granted.body.id).not.toBe(consent.id);
      expect((await actOk(t.http, lmt, draft, 'send')).status).toBe('sent');

      // The history keeps both consents.
      const read = await t.http.get(`/api/v1/patients/${patient.id}`).set(lmt.auth).expect(200);
      expect(read.body.consents.map((c: Consent) => [c.id, c.active])).toEqual([
        [consent.id, false],
        [granted.body.id, true],
      ]);
    });

    it('granting a scope that is already active answers 200 with the active consent, without a second row or an audit of a grant', async () => {
      const patient = (await createPatient(t.http, lmt)) as unknown as { id: string; consents: Consent[] };
      const grants = () => countRows(sql, 'audit_events', `action = 'consent.grant' AND resource_id = $1`, [patient.id]);
      const res = await t.http.post(`/api/v1/patients/${patient.id}/consents`).set(lmt.auth).send({ scope: 'referral_sharing' });
      // Nothing was created: 200 with the active consent, as an import answers an existing copy.
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(patient.consents[0].id);
      expect(await countRows(sql, 'patient_consents', `patient_id = $1`, [patient.id])).toBe(1);
      expect(await grants()).toBe(0);

      const notifications = await t.http
        .post(`/api/v1/patients/${patient.id}/consents`)
        .set(lmt.auth)
        .send({ scope: 'patient_notifications' })
        .expect(201);
      expect(notifications.body).toMatchObject({ scope: 'patient_notifications', active: true });
      expect(await grants()).toBe(1);
    });
  });

  describe('red flags', () => {
    it('a routine referral with a red flag is 422 red_flags_require_urgent; urgent is accepted', async () => {
      const before = await countRows(sql, 'referrals');
      const routine = await post(lmt, injuryReferralBody(patientId, pt.id, { redFlags: ['night_pain', 'fever'] }));
      expectProblem(routine, 422, 'red_flags_require_urgent');
      expect(routine.body.errors).toEqual([expect.objectContaining({ field: 'priority' })]);
      expect(await countRows(sql, 'referrals')).toBe(before);

      const urgent = await post(
        lmt,
        injuryReferralBody(patientId, pt.id, { redFlags: ['night_pain', 'fever'], priority: 'urgent' }),
      );
      expect(urgent.status).toBe(201);
      expect(urgent.body).toMatchObject({ priority: 'urgent', redFlags: ['night_pain', 'fever'] });
    });

    it('an urgent referral without red flags is fine too', async () => {
      const res = await post(lmt, injuryReferralBody(patientId, pt.id, { priority: 'urgent' }));
      expect(res.status).toBe(201);
      expect(res.body.redFlags).toEqual([]);
    });
  });

  describe('who sends what to whom', () => {
    it('a PT cannot send injury_care, an LMT cannot send maintenance_massage (422 sender_role_mismatch)', async () => {
      const ptPatient = await createPatient(t.http, pt);
      for (const res of [
        await post(pt, injuryReferralBody(ptPatient.id, pt2.id)),
        await post(lmt, maintenanceReferralBody(patientId, lmt2.id)),
      ]) {
        expectProblem(res, 422, 'sender_role_mismatch');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'kind' })]);
      }
    });

    it('injury_care goes to a PT and maintenance_massage to an LMT (422 recipient_type_mismatch)', async () => {
      const toLmt = await post(lmt, injuryReferralBody(patientId, lmt2.id));
      expectProblem(toLmt, 422, 'recipient_type_mismatch');
      // The request named the recipient: the answer names that field, as a create's other errors do.
      expect(toLmt.body.errors).toEqual([{ field: 'recipientId', message: 'must be a physical_therapist' }]);
      const ptPatient = await createPatient(t.http, pt);
      expectProblem(await post(pt, maintenanceReferralBody(ptPatient.id, pt2.id)), 422, 'recipient_type_mismatch');
      // The right pairs work.
      expect((await post(pt, maintenanceReferralBody(ptPatient.id, lmt2.id))).status).toBe(201);
      expect((await post(lmt, injuryReferralBody(patientId, pt2.id))).status).toBe(201);
    });

    it('a recipient whose licence expired cannot be sent to, nor accept (422 licence_expired)', async () => {
      const expiring = await addPractitioner(t.http, ptClinic, 'physical_therapist');
      const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, expiring.id));
      const sent = await referralIn(t.http, { sender: lmt, recipient: expiring }, patientId, 'received');

      const lapsed = lapsedLicenceDate();
      const patched = await t.http
        .patch(`/api/v1/practitioners/${expiring.id}`)
        .set(ptClinic.admin.auth)
        .send({ licence: { number: 'L-EXPIRED', region: 'TX', expiresOn: lapsed } })
        .expect(200);
      expect(patched.body.licence.expiresOn).toBe(lapsed);

      // Out of the directory, and refused by the rule by name: at creating, at editing a draft to them,
      // and at sending a draft made while the licence was valid.
      const created = await post(lmt, injuryReferralBody(patientId, expiring.id));
      expectProblem(created, 422, 'licence_expired');
      expect(created.body.errors).toEqual([{ field: 'recipientId', message: expect.any(String) }]);
      const other = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
      expectProblem(
        await t.http
          .patch(`/api/v1/referrals/${other.id}`)
          .set(lmt.auth)
          .send({ version: other.version, recipientId: expiring.id }),
        422,
        'licence_expired',
      );
      expectProblem(await act(t.http, lmt, draft.id, 'send', draft.version), 422, 'licence_expired');
      expectProblem(await act(t.http, expiring, sent.id, 'accept', sent.version), 422, 'licence_expired');
      expect(await readAsSender(sent.id)).toMatchObject({ status: 'received', version: sent.version });
      // Accept is not offered meanwhile, to the recipient or their admin; the rest is.
      for (const viewer of [expiring, ptClinic.admin]) {
        const seen = (await t.http.get(`/api/v1/referrals/${sent.id}`).set(viewer.auth).expect(200)).body;
        expect(seen.allowedActions).toEqual(['decline', 'request-info']);
      }
      // …nor in a 409 that lists what is possible.
      const wrong = await act(t.http, expiring, sent.id, 'schedule', sent.version, {
        appointmentAt: new Date(Date.now() + 86_400_000).toISOString(),
      });
      expectProblem(wrong, 409, 'invalid_transition');
      expect(wrong.body.allowedActions).toEqual(['decline', 'request-info']);
      // Declining is still possible, so the sender learns what happened.
      expect((await actOk(t.http, expiring, sent, 'decline', { reason: 'My licence is being renewed' })).status).toBe('declined');
    });

    it("a licence runs to the end of its expiry day on its holder's clinic's calendar, not UTC's", async () => {
      // Tomorrow at `hour` UTC: ahead of every referral the test sends beforehand.
      const atUtc = (hour: number) => {
        const at = new Date(Date.now() + 86_400_000);
        at.setUTCHours(hour, 0, 0, 0);
        return at;
      };
      const day = (at: Date, timeZone: string, days = 0) =>
        new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(at.getTime() + days * 86_400_000));
      const physioIn = async (timezone: string) => {
        const clinic = await registerClinic(t.http, { name: `Physio in ${timezone}` });
        await t.http.patch('/api/v1/clinics/me').set(clinic.admin.auth).send({ timezone }).expect(200);
        const fullName = `Zoned Physio ${randomUUID()}`;
        const user = await addPractitioner(t.http, clinic, 'physical_therapist', { fullName });
        const referral = await referralIn(t.http, { sender: lmt, recipient: user }, patientId, 'received');
        const licenceUntil = (expiresOn: string) =>
          t.http
            .patch(`/api/v1/practitioners/${user.id}`)
            .set(clinic.admin.auth)
            .send({ licence: { number: 'PT-ZONE', region: 'CA', expiresOn } })
            .expect(200);
        return { user, fullName, referral, licenceUntil };
      };
      /** What the sender's directory, the holder's profile and the referral show of the licence now. */
      const seen = async (holder: Awaited<ReturnType<typeof physioIn>>, sender: SignedInUser) => {
        const listed = await t.http.get('/api/v1/practitioners').query({ q: holder.fullName }).set(sender.auth).expect(200);
        const profile = await t.http.get(`/api/v1/practitioners/${holder.user.id}`).set(holder.user.auth).expect(200);
        const detail = await t.http.get(`/api/v1/referrals/${holder.referral.id}`).set(holder.user.auth).expect(200);
        return {
          listed: listed.body.items.length,
          licenceExpired: profile.body.licenceExpired,
          offersAccept: detail.body.allowedActions.includes('accept'),
        };
      };
      // 04:00 UTC is 8 PM the evening before in Los Angeles: a licence that expires that day still counts.
      const evening = atUtc(4);
      const la = await physioIn('America/Los_Angeles');
      const laToday = day(evening, 'America/Los_Angeles');
      expect(laToday).toBe(day(evening, 'UTC', -1));
      await la.licenceUntil(laToday);
      // 20:00 UTC is the next morning in Auckland: a licence that expired on UTC's today lapsed yesterday there.
      const morning = atUtc(20);
      const auckland = await physioIn('Pacific/Auckland');
      const aucklandYesterday = day(morning, 'Pacific/Auckland', -1);
      expect(aucklandYesterday).toBe(day(morning, 'UTC'));
      await auckland.licenceUntil(aucklandYesterday);
      const now = jest.spyOn(Clock.prototype, 'now');
      try {
        // Each moved Clock gets tokens it finds current (a day ahead is past any token issued now).
        now.mockReturnValue(evening);
        const laNow = { ...la, user: await signInAgain(t.http, la.user) };
        expect(await seen(laNow, await signInAgain(t.http, lmt))).toEqual({
          listed: 1,
          licenceExpired: false,
          offersAccept: true,
        });
        expect((await actOk(t.http, laNow.user, la.referral, 'accept')).status).toBe('accepted');

        now.mockReturnValue(morning);
        const aucklandNow = { ...auckland, user: await signInAgain(t.http, auckland.user) };
        expect(await seen(aucklandNow, await signInAgain(t.http, lmt))).toEqual({
          listed: 0,
          licenceExpired: true,
          offersAccept: false,
        });
        expectProblem(
          await act(t.http, aucklandNow.user, auckland.referral.id, 'accept', auckland.referral.version),
          422,
          'licence_expired',
        );
      } finally {
        now.mockRestore();
      }
    });

    it('answers 404 for a recipient who is not on ReferLoop (unknown, or invited and not joined), the failed rule for anyone who joined', async () => {
      const invited = await t.http
        .post('/api/v1/practitioners')
        .set(ptClinic.admin.auth)
        .send(practitionerPayload('physical_therapist', new Date()))
        .expect(201);
      const gone = await addPractitioner(t.http, ptClinic, 'physical_therapist');
      await t.http.post(`/api/v1/practitioners/${gone.id}/deactivate`).set(ptClinic.admin.auth).expect(200);
      const before = await countRows(sql, 'referrals');
      const answers = [];
      for (const recipientId of [randomUUID(), invited.body.id]) {
        const res = await post(lmt, injuryReferralBody(patientId, recipientId));
        expectProblem(res, 404, 'not_found');
        // Byte-identical apart from the request's own id.
        answers.push(JSON.stringify({ ...res.body, instance: undefined, requestId: undefined }));
      }
      expect(new Set(answers).size).toBe(1);
      expect(JSON.parse(answers[0]).errors).toEqual([{ field: 'recipientId', message: expect.any(String) }]);
      // An admin who is not a practitioner, and a deactivated practitioner: the rule, naming the field.
      const adminOnly = await post(lmt, injuryReferralBody(patientId, ptClinic.admin.id));
      expectProblem(adminOnly, 422, 'recipient_type_mismatch');
      expect(adminOnly.body.errors).toEqual([{ field: 'recipientId', message: expect.any(String) }]);
      const deactivated = await post(lmt, injuryReferralBody(patientId, gone.id));
      expectProblem(deactivated, 422, 'recipient_not_accepting');
      expect(deactivated.body.errors).toEqual([{ field: 'recipientId', message: 'is deactivated' }]);
      expect(await countRows(sql, 'referrals')).toBe(before);
    });

    it('a recipient who is not accepting referrals cannot be sent to (422 recipient_not_accepting)', async () => {
      const busy = await addPractitioner(t.http, ptClinic, 'physical_therapist');
      const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, busy.id));
      await t.http.patch(`/api/v1/practitioners/${busy.id}`).set(busy.auth).send({ acceptingReferrals: false }).expect(200);

      expectProblem(await post(lmt, injuryReferralBody(patientId, busy.id)), 422, 'recipient_not_accepting');
      expectProblem(await act(t.http, lmt, draft.id, 'send', draft.version), 422, 'recipient_not_accepting');

      await t.http.patch(`/api/v1/practitioners/${busy.id}`).set(busy.auth).send({ acceptingReferrals: true }).expect(200);
      expect((await actOk(t.http, lmt, draft, 'send')).status).toBe('sent');
    });

    it('a maintenance referral needs a plan, an injury referral takes none (400 naming plan)', async () => {
      const ptPatient = await createPatient(t.http, pt);
      const before = await countRows(sql, 'referrals');
      const noPlan = await post(pt, maintenanceReferralBody(ptPatient.id, lmt2.id, { plan: undefined }));
      expectProblem(noPlan, 400, 'validation_failed');
      expect(noPlan.body.errors).toEqual([expect.objectContaining({ field: 'plan' })]);
      const withPlan = await post(
        lmt,
        injuryReferralBody(patientId, pt.id, {
          plan: { frequencyWeeks: 2, focusAreas: ['neck'], pressure: 'light', precautions: 'none' },
        }),
      );
      expectProblem(withPlan, 400, 'validation_failed');
      expect(withPlan.body.errors).toEqual([expect.objectContaining({ field: 'plan' })]);
      expect(await countRows(sql, 'referrals')).toBe(before);
    });

    it("refers only the sender clinic's own patients (404 naming patientId)", async () => {
      const ptPatient = await createPatient(t.http, pt);
      const res = await post(lmt, injuryReferralBody(ptPatient.id, pt.id));
      expectProblem(res, 404, 'not_found');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'patientId' })]);
    });

    it('a neededBy date must be in the future', async () => {
      const res = await post(lmt, injuryReferralBody(patientId, pt.id, { neededBy: dateInDays(-1) }));
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'neededBy' })]);
      expect((await post(lmt, injuryReferralBody(patientId, pt.id, { neededBy: dateInDays(7) }))).body.neededBy).toBe(
        dateInDays(7),
      );
    });

    it("neededBy and plan.reviewBy are days on the sender clinic's calendar, not UTC's", async () => {
      const atUtc = (hour: number) => {
        const at = new Date();
        at.setUTCHours(hour, 0, 0, 0);
        return at;
      };
      const day = (at: Date, timeZone: string, days = 0) =>
        new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(at.getTime() + days * 86_400_000));
      const inZone = async (role: 'massage_therapist' | 'physical_therapist', timezone: string) => {
        const clinic = await registerClinic(t.http, { name: `Clinic in ${timezone}` });
        await t.http.patch('/api/v1/clinics/me').set(clinic.admin.auth).send({ timezone }).expect(200);
        const user = await addPractitioner(t.http, clinic, role);
        return { user, patientId: (await createPatient(t.http, user)).id };
      };
      const la = await inZone('massage_therapist', 'America/Los_Angeles');
      const auckland = await inZone('physical_therapist', 'Pacific/Auckland');
      const now = jest.spyOn(Clock.prototype, 'now');
      try {
        // 04:00 UTC is the evening before in Los Angeles: its tomorrow is UTC's today.
        const evening = atUtc(4);
        now.mockReturnValue(evening);
        // Tokens the moved Clock finds current (04:00 UTC may be hours from now either way).
        const laUser = await signInAgain(t.http, la.user);
        const tomorrow = day(evening, 'America/Los_Angeles', 1);
        expect(tomorrow).toBe(evening.toISOString().slice(0, 10));
        const created = await post(laUser, injuryReferralBody(la.patientId, pt.id, { neededBy: tomorrow }));
        expect({ status: created.status, neededBy: created.body.neededBy }).toEqual({ status: 201, neededBy: tomorrow });
        const edited = await t.http
          .patch(`/api/v1/referrals/${created.body.id}`)
          .set(laUser.auth)
          .send({ version: created.body.version, neededBy: tomorrow, priority: 'urgent' })
          .expect(200);
        expect(edited.body.neededBy).toBe(tomorrow);
        const today = await post(
          laUser,
          injuryReferralBody(la.patientId, pt.id, { neededBy: day(evening, 'America/Los_Angeles') }),
        );
        expectProblem(today, 400, 'validation_failed');
        expect(today.body.errors).toEqual([{ field: 'neededBy', message: 'must be a future date' }]);

        // 20:00 UTC is the next morning in Auckland: UTC's tomorrow is already its today, and its yesterday UTC's today.
        const morning = atUtc(20);
        now.mockReturnValue(morning);
        const aucklandUser = await signInAgain(t.http, auckland.user);
        const aucklandToday = day(morning, 'Pacific/Auckland');
        const plan = (reviewBy: string) =>
          maintenanceReferralBody(auckland.patientId, lmt.id, {
            plan: { frequencyWeeks: 2, pressure: 'light', precautions: 'None', reviewBy },
          });
        const reviewed = await post(aucklandUser, plan(aucklandToday));
        expect({ status: reviewed.status, reviewBy: reviewed.body.plan?.reviewBy }).toEqual({
          status: 201,
          reviewBy: aucklandToday,
        });
        const past = await post(aucklandUser, plan(day(morning, 'Pacific/Auckland', -1)));
        expectProblem(past, 400, 'validation_failed');
        expect(past.body.errors).toEqual([{ field: 'plan.reviewBy', message: 'must be today or later' }]);
        const neededToday = await post(aucklandUser, { ...plan(aucklandToday), neededBy: aucklandToday });
        expectProblem(neededToday, 400, 'validation_failed');
        expect(neededToday.body.errors).toEqual([{ field: 'neededBy', message: 'must be a future date' }]);
      } finally {
        now.mockRestore();
      }
    });
  });

  describe('admins creating referrals for their practitioners', () => {
    it('needs senderId (400 without it)', async () => {
      const res = await post(massageClinic.admin, injuryReferralBody(patientId, pt.id));
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'senderId' })]);
    });

    it('with the senderId of a practitioner of their clinic, creates it for them, recorded as the admin', async () => {
      const res = await post(massageClinic.admin, injuryReferralBody(patientId, pt.id, { senderId: lmt.id }));
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ senderId: lmt.id, status: 'draft', sender: { clinicId: massageClinic.clinicId } });
      expect(res.body.timeline).toEqual([expect.objectContaining({ type: 'created', actorId: massageClinic.admin.id })]);
      const { rows } = await sql.query(`SELECT created_by FROM referrals WHERE id = $1`, [res.body.id]);
      expect(rows).toEqual([{ created_by: massageClinic.admin.id }]);
      // The practitioner sees it as theirs.
      expect((await readAsSender(res.body.id)).allowedActions).toContain('send');
    });

    it("an admin cannot name another clinic's practitioner as sender (404 senderId)", async () => {
      const res = await post(massageClinic.admin, injuryReferralBody(patientId, pt.id, { senderId: lmt2.id }));
      expectProblem(res, 404, 'not_found');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'senderId' })]);
    });

    it("a practitioner passing someone else's senderId is 403; their own id is fine", async () => {
      const before = await countRows(sql, 'referrals');
      expectProblem(await post(lmtColleague, injuryReferralBody(patientId, pt.id, { senderId: lmt.id })), 403, 'forbidden');
      expect(await countRows(sql, 'referrals')).toBe(before);
      expect((await post(lmt, injuryReferralBody(patientId, pt.id, { senderId: lmt.id }))).status).toBe(201);
    });
  });

  describe('redirect', () => {
    it('a declined referral is redirected by a new referral with replacesId; the old one stays declined', async () => {
      const declined = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'declined');
      const redirect = await post(lmt, injuryReferralBody(patientId, pt2.id, { replacesId: declined.id }));
      expect(redirect.status).toBe(201);
      expect(redirect.body).toMatchObject({ replacesId: declined.id, recipientId: pt2.id, status: 'draft', version: 1 });
      expect(redirect.body.id).not.toBe(declined.id);
      const old = await readAsSender(declined.id);
      expect(old).toMatchObject({ status: 'declined', version: declined.version, replacesId: null });
      expect(old.timeline).toHaveLength(declined.timeline.length);
    });

    it('cancelled and expired referrals can be redirected too', async () => {
      const cancelled = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'cancelled');
      expect((await post(lmt, injuryReferralBody(patientId, pt2.id, { replacesId: cancelled.id }))).status).toBe(201);
      // `expired` is set by SQL: the system timer that expires referrals is not exercised here.
      const expired = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'expired', sql);
      expect(expired.status).toBe('expired');
      expect((await post(lmt, injuryReferralBody(patientId, pt2.id, { replacesId: expired.id }))).status).toBe(201);
    });

    it('a redirect is for the same patient: another patient is 422 not_redirectable naming patientId, nothing written', async () => {
      const declined = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'declined');
      const otherPatient = await createPatient(t.http, lmt, { firstName: 'Alex' });
      const before = await countRows(sql, 'referrals');
      const res = await post(lmt, injuryReferralBody(otherPatient.id, pt2.id, { replacesId: declined.id }));
      expectProblem(res, 422, 'not_redirectable');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'patientId' })]);
      expect(await countRows(sql, 'referrals')).toBe(before);
    });

    it('an accepted (or draft, or closed) referral cannot be redirected (422 not_redirectable)', async () => {
      for (const status of ['accepted', 'draft', 'closed'] as const) {
        const r = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, status);
        const res = await post(lmt, injuryReferralBody(patientId, pt2.id, { replacesId: r.id }));
        expectProblem(res, 422, 'not_redirectable');
        expect(res.body.currentStatus).toBe(status);
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'replacesId' })]);
      }
    });

    it("a draft cancelled before sending can be redirected; its id stays the sender side's", async () => {
      const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
      await act(t.http, lmt, draft.id, 'cancel', draft.version, { reason: 'Changed my mind' }).expect(200);
      const res = await post(lmt, injuryReferralBody(patientId, pt2.id, { replacesId: draft.id }));
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ replacesId: draft.id, recipientId: pt2.id, status: 'draft' });
      const sent = await act(t.http, lmt, res.body.id, 'send', res.body.version).expect(200);
      expect(sent.body.replacesId).toBe(draft.id);
      // The recipient never learns of the draft: not its id, not the draft itself.
      const seen = await t.http.get(`/api/v1/referrals/${res.body.id}`).set(pt2.auth).expect(200);
      expect(seen.body.replacesId).toBeNull();
      await t.http.get(`/api/v1/referrals/${draft.id}`).set(pt2.auth).expect(404);
      const box = await t.http.get('/api/v1/referrals?box=received&limit=100').set(pt2.auth).expect(200);
      expect(box.body.items.find((r: { id: string }) => r.id === res.body.id)).toMatchObject({ replacesId: null });
      // A redirect of a referral that was sent shows its link to both sides (above: `redirect.body`).
    });

    it('is redirected once: repeats at once make one redirect; another after a cancelled one is fine', async () => {
      const declined = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'declined');
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => post(lmt, injuryReferralBody(patientId, pt2.id, { replacesId: declined.id }))),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([201, 422, 422, 422, 422]);
      const redirect = answers.find((r) => r.status === 201)!.body;
      for (const refused of answers.filter((r) => r.status === 422)) {
        expectProblem(refused, 422, 'not_redirectable');
        expect(refused.body).toMatchObject({ currentStatus: 'declined', replacementId: redirect.id });
      }
      expect(await countRows(sql, 'referrals', 'replaces_id = $1', [declined.id])).toBe(1);
      // The declined referral names its redirect to the sender side only: the redirect went to someone else.
      const replacedBy = async (viewer: SignedInUser) =>
        (await t.http.get(`/api/v1/referrals/${declined.id}`).set(viewer.auth).expect(200)).body.replacedById as string | null;
      expect(await replacedBy(lmt)).toBe(redirect.id);
      expect(await replacedBy(pt)).toBeNull();
      // The redirect drafted by mistake is cancelled: the declined referral may be redirected again.
      await actOk(t.http, lmt, redirect, 'cancel', { reason: 'Wrong therapist' });
      expect(await replacedBy(lmt)).toBeNull();
      const again = await post(lmt, injuryReferralBody(patientId, pt.id, { replacesId: declined.id }));
      expect(again.status).toBe(201);
      expect(await replacedBy(lmt)).toBe(again.body.id);
      const sentBox = await t.http.get('/api/v1/referrals?box=sent&limit=100').set(lmt.auth).expect(200);
      expect(sentBox.body.items.find((r: { id: string }) => r.id === declined.id)).toMatchObject({ replacedById: again.body.id });
    });

    it("only the sender side redirects: another clinic's referral is 404 naming replacesId", async () => {
      const declined = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'declined');
      const otherPatient = await createPatient(t.http, lmt2);
      // lmt2 is an LMT of another clinic; the referral is not theirs.
      const res = await post(lmt2, injuryReferralBody(otherPatient.id, pt.id, { replacesId: declined.id }));
      expectProblem(res, 404, 'not_found');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'replacesId' })]);
    });
  });

  describe('side paths of the lifecycle', () => {
    it('request-info → provide-info brings the referral back to received', async () => {
      let r = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'received');
      r = await actOk(t.http, pt, r, 'request-info', { reason: 'Which shoulder?' });
      expect(r.status).toBe('info_requested');
      expect(r.allowedActions).toEqual(['decline']);
      r = await actOk(t.http, lmt, r, 'provide-info', { note: 'The left one' });
      expect(r.status).toBe('received');
      expect(r.timeline.slice(-2)).toEqual([
        expect.objectContaining({ type: 'info_requested', reason: 'Which shoulder?', actorId: pt.id }),
        expect.objectContaining({
          type: 'info_provided',
          note: 'The left one',
          fromStatus: 'info_requested',
          toStatus: 'received',
          actorId: lmt.id,
        }),
      ]);
      expect((await actOk(t.http, pt, r, 'accept')).status).toBe('accepted');
    });

    it('unschedule after a no-show goes back to accepted with no appointment, and can be scheduled again', async () => {
      let r = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'scheduled');
      expect(r.appointmentAt).not.toBeNull();
      // The appointment is still to come: nobody can have missed it yet (400 naming reason, nothing written).
      const early = await act(t.http, pt, r.id, 'unschedule', r.version, { reason: 'no_show' });
      expectProblem(early, 400, 'validation_failed');
      expect(early.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
      expect((await readAsSender(r.id)).version).toBe(r.version);
      // Its time passes (set in the database: a booking is always in the future).
      await sql.query(`UPDATE referrals SET appointment_at = now() - interval '1 hour' WHERE id = $1`, [r.id]);
      r = await actOk(t.http, pt, r, 'unschedule', { reason: 'no_show' });
      expect(r).toMatchObject({ status: 'accepted', appointmentAt: null });
      expect(r.timeline.at(-1)).toMatchObject({
        type: 'unscheduled',
        reason: 'no_show',
        fromStatus: 'scheduled',
        toStatus: 'accepted',
      });
      const appointmentAt = inDays(9);
      r = await actOk(t.http, pt, r, 'schedule', { appointmentAt });
      expect(r).toMatchObject({ status: 'scheduled', appointmentAt });
    });

    it('unschedule takes free text as a reason too', async () => {
      const r = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'scheduled');
      const res = await actOk(t.http, pt, r, 'unschedule', { reason: 'Therapist out sick' });
      expect(res.timeline.at(-1).reason).toBe('Therapist out sick');
    });

    it('request-cancel → confirm-cancel ends cancelled, with both steps in the timeline', async () => {
      let r = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'in_care');
      r = await actOk(t.http, lmt, r, 'request-cancel', { reason: 'Patient moving away' });
      expect(r.status).toBe('cancel_requested');
      const asRecipient = await t.http.get(`/api/v1/referrals/${r.id}`).set(pt.auth).expect(200);
      expect(asRecipient.body.allowedActions).toEqual(['confirm-cancel']);
      r = await actOk(t.http, pt, asRecipient.body, 'confirm-cancel');
      expect(r.status).toBe('cancelled');
      expect(r.timeline.slice(-2).map((e: { type: string }) => e.type)).toEqual(['cancel_requested', 'cancel_confirmed']);
      expect(r.allowedActions).toEqual([]);
    });
  });

  describe('listing', () => {
    let la: TestClinic;
    let lb: TestClinic;
    let lmtA: SignedInUser;
    let ptB: SignedInUser;
    let p1: string;
    let p2: string;
    const r: Record<string, Listed> = {};

    const list = async (user: SignedInUser, query: Record<string, string | number> = {}) => {
      const res = await t.http.get('/api/v1/referrals').query(query).set(user.auth);
      expect({ status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ status: 200, body: 'ok' });
      return res.body as { items: Listed[]; nextCursor: string | null };
    };
    const idsOf = (page: { items: Listed[] }) => page.items.map((i) => i.id);
    const sorted = (ids: string[]) => [...ids].sort();

    beforeAll(async () => {
      la = await registerClinic(t.http, { name: 'List Massage' });
      lb = await registerClinic(t.http, { name: 'List Physio' });
      lmtA = await addPractitioner(t.http, la, 'massage_therapist');
      ptB = await addPractitioner(t.http, lb, 'physical_therapist');
      p1 = (await createPatient(t.http, lmtA, { firstName: 'Ada' })).id;
      p2 = (await createPatient(t.http, lmtA, { firstName: 'Bo' })).id;
      const parties = { sender: lmtA, recipient: ptB };
      r.draft1 = await referralIn(t.http, parties, p1, 'draft');
      r.draft2 = await referralIn(t.http, parties, p2, 'draft');
      r.sent1 = await referralIn(t.http, parties, p1, 'sent');
      r.sent2 = await referralIn(t.http, parties, p2, 'sent');
      r.accepted = await referralIn(t.http, parties, p1, 'accepted');
      r.declined = await referralIn(t.http, parties, p2, 'declined');
      // One the other way: the PT refers back to the LMT (maintenance), so each has a sent and a received side.
      const ptPatient = await createPatient(t.http, ptB);
      const m = await createReferral(t.http, ptB, maintenanceReferralBody(ptPatient.id, lmtA.id));
      r.maintenance = await actOk(t.http, ptB, m, 'send');
    });

    const LMT_SENT = ['draft1', 'draft2', 'sent1', 'sent2', 'accepted', 'declined'];
    const ids = (...names: string[]) => sorted(names.map((n) => r[n].id));

    it('box=sent and box=received split the practitioner’s two sides; no box gives both', async () => {
      expect(sorted(idsOf(await list(lmtA, { box: 'sent' })))).toEqual(ids(...LMT_SENT));
      expect(sorted(idsOf(await list(lmtA, { box: 'received' })))).toEqual(ids('maintenance'));
      expect(sorted(idsOf(await list(lmtA)))).toEqual(ids(...LMT_SENT, 'maintenance'));
      expect(sorted(idsOf(await list(ptB, { box: 'sent' })))).toEqual(ids('maintenance'));
    });

    it('the recipient never sees drafts: not in received, not by status filter, not as the recipient clinic admin', async () => {
      expect(sorted(idsOf(await list(ptB, { box: 'received' })))).toEqual(ids('sent1', 'sent2', 'accepted', 'declined'));
      expect((await list(ptB, { box: 'received', status: 'draft' })).items).toEqual([]);
      const all = idsOf(await list(ptB));
      expect(all).not.toContain(r.draft1.id);
      expect(all).not.toContain(r.draft2.id);
      const clinicBox = idsOf(await list(lb.admin, { box: 'clinic' }));
      expect(clinicBox).not.toContain(r.draft1.id);
      expect(clinicBox).not.toContain(r.draft2.id);
      expect((await list(lb.admin, { box: 'clinic', status: 'draft' })).items).toEqual([]);
      // GET of the draft itself is a 404 for them.
      await t.http.get(`/api/v1/referrals/${r.draft1.id}`).set(ptB.auth).expect(404);
    });

    it('box=clinic gives an admin both sides of their clinic; the default box for an admin is the clinic', async () => {
      expect(sorted(idsOf(await list(la.admin, { box: 'clinic' })))).toEqual(ids(...LMT_SENT, 'maintenance'));
      expect(sorted(idsOf(await list(la.admin)))).toEqual(ids(...LMT_SENT, 'maintenance'));
      expect(sorted(idsOf(await list(la.admin, { box: 'sent' })))).toEqual(ids(...LMT_SENT));
      expect(sorted(idsOf(await list(lb.admin, { box: 'clinic' })))).toEqual(
        ids('sent1', 'sent2', 'accepted', 'declined', 'maintenance'),
      );
      // Another clinic's admin sees none of it.
      expect(idsOf(await list(massageClinic.admin, { box: 'clinic' }))).not.toContain(r.sent1.id);
    });

    it('a practitioner asking for box=clinic is 403', async () => {
      expectProblem(await t.http.get('/api/v1/referrals').query({ box: 'clinic' }).set(lmtA.auth), 403, 'forbidden');
    });

    it('filters by statuses given as the parameter repeated, as OpenAPI clients send an array', async () => {
      const res = await t.http.get('/api/v1/referrals?box=sent&status=draft&status=accepted').set(lmtA.auth).expect(200);
      expect(sorted(idsOf(res.body))).toEqual(ids('draft1', 'draft2', 'accepted'));
      // A parameter that takes one value, given twice, is refused as such.
      const twice = await t.http.get('/api/v1/referrals?box=sent&box=received').set(lmtA.auth);
      expectProblem(twice, 400, 'validation_failed');
      expect(twice.body.errors).toEqual([{ field: 'box', message: 'must be sent once' }]);
    });

    it('filters by one status and by a comma-separated list of statuses', async () => {
      const sent = await list(lmtA, { box: 'sent', status: 'sent' });
      expect(sorted(idsOf(sent))).toEqual(ids('sent1', 'sent2'));
      expect(sent.items.every((i) => i.status === 'sent')).toBe(true);
      expect(sorted(idsOf(await list(lmtA, { box: 'sent', status: 'draft,accepted' })))).toEqual(
        ids('draft1', 'draft2', 'accepted'),
      );
      expect(sorted(idsOf(await list(lmtA, { status: 'declined, sent' })))).toEqual(
        ids('sent1', 'sent2', 'declined', 'maintenance'),
      );
      expect((await list(lmtA, { status: 'closed' })).items).toEqual([]);
    });

    it('filters by kind and by patientId', async () => {
      expect(idsOf(await list(lmtA, { kind: 'maintenance_massage' }))).toEqual([r.maintenance.id]);
      expect(sorted(idsOf(await list(lmtA, { kind: 'injury_care' })))).toEqual(ids(...LMT_SENT));
      expect(sorted(idsOf(await list(lmtA, { patientId: p2 })))).toEqual(ids('draft2', 'sent2', 'declined'));
      expect(sorted(idsOf(await list(lmtA, { patientId: p1, status: 'sent' })))).toEqual(ids('sent1'));
    });

    it('lists newest change first and filters by updatedSince (inclusive)', async () => {
      const all = (await list(lmtA)).items;
      const times = all.map((i) => i.updatedAt);
      expect(times).toEqual([...times].sort().reverse());
      const since = all[2].updatedAt;
      const expected = all.filter((i) => i.updatedAt >= since).map((i) => i.id);
      expect(expected.length).toBeGreaterThanOrEqual(3);
      expect(expected.length).toBeLessThan(all.length);
      expect(idsOf(await list(lmtA, { updatedSince: since }))).toEqual(expected);
      // A change moves a referral to the top and into an updatedSince window that starts after everything else.
      const after = new Date(Date.parse(all[0].updatedAt) + 1).toISOString();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const read = await t.http.get(`/api/v1/referrals/${r.sent2.id}`).set(lmtA.auth).expect(200);
      await actOk(t.http, lmtA, read.body, 'cancel', { reason: 'Patient feels better' });
      const recent = await list(lmtA, { updatedSince: after });
      expect(idsOf(recent)).toEqual([r.sent2.id]);
    });

    it('pages with limit=2 and cursors: no duplicates, no gaps, nextCursor null at the end', async () => {
      for (const [user, query, expectedCount] of [
        [lmtA, { box: 'sent' }, LMT_SENT.length],
        [la.admin, { box: 'clinic' }, LMT_SENT.length + 1],
      ] as const) {
        const unpaged = idsOf(await list(user, query));
        expect(unpaged).toHaveLength(expectedCount);
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: { items: Listed[]; nextCursor: string | null } = await list(user, {
            ...query,
            limit: 2,
            ...(cursor ? { cursor } : {}),
          });
          expect(page.items.length).toBeLessThanOrEqual(2);
          seen.push(...idsOf(page));
          cursor = page.nextCursor;
          pages += 1;
          if (cursor) expect(page.items).toHaveLength(2);
        } while (cursor && pages < 10);
        expect(cursor).toBeNull();
        expect(pages).toBe(Math.ceil(expectedCount / 2));
        expect(seen).toEqual(unpaged);
        expect(new Set(seen).size).toBe(seen.length);
      }
    });

    it('limit must be 1..100 (101 is 400)', async () => {
      const res = await t.http.get('/api/v1/referrals').query({ limit: 101 }).set(lmtA.auth);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
      expect((await list(lmtA, { limit: 100 })).items.length).toBeGreaterThan(0);
      expect((await list(lmtA, { limit: 1 })).items).toHaveLength(1);
    });
  });
});
