import { randomUUID } from 'node:crypto';
import { uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import {
  act,
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
  type TestClinic,
} from './support/test-app';

/** Editable drafts (PATCH /referrals/:id) and the emergency advice a referral with an emergency sign needs to be sent. */
describe('referral drafts and emergency advice', () => {
  let t: TestApp;
  let sql: Client;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let thirdClinic: TestClinic;
  let lmt: SignedInUser;
  let lmtColleague: SignedInUser;
  let pt: SignedInUser;
  let pt2: SignedInUser;
  let otherLmt: SignedInUser;
  let patientId: string;

  const patch = (user: SignedInUser, id: string, body: Record<string, unknown>) =>
    t.http.patch(`/api/v1/referrals/${id}`).set(user.auth).send(body);
  const draft = (overrides: Record<string, unknown> = {}) =>
    createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id, overrides)) as Promise<{ id: string; version: number }>;

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    thirdClinic = await registerClinic(t.http, { name: 'Eastside Bodywork' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    lmtColleague = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    pt2 = await addPractitioner(t.http, ptClinic, 'physical_therapist', { fullName: 'Second Physio' });
    otherLmt = await addPractitioner(t.http, thirdClinic, 'massage_therapist');
    patientId = (await createPatient(t.http, lmt)).id;
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  describe('PATCH /referrals/:id', () => {
    it('edits a draft, answers it as GET does with version + 1, and appends exactly one event and one audit row', async () => {
      const created = await draft();
      const otherPatient = await createPatient(t.http, lmt, { firstName: 'Robin' });
      const res = await patch(lmt, created.id, {
        version: created.version,
        reason: 'Low back pain after lifting',
        bodyRegions: ['lower_back'],
        painLevel: null,
        patientId: otherPatient.id,
        recipientId: pt2.id,
        neededBy: dateInDays(10),
      }).expect(200);
      expect(res.headers.etag).toBe(`"${created.version + 1}"`);
      expect(res.body).toMatchObject({
        id: created.id,
        status: 'draft',
        version: created.version + 1,
        reason: 'Low back pain after lifting',
        bodyRegions: ['lower_back'],
        painLevel: null,
        patientId: otherPatient.id,
        patient: { firstName: 'Robin' },
        recipientId: pt2.id,
        neededBy: dateInDays(10),
        // Untouched fields stay.
        observations: injuryReferralBody(patientId, pt.id).observations,
        emergencyAdviceGiven: false,
      });
      const read = await t.http.get(`/api/v1/referrals/${created.id}`).set(lmt.auth).expect(200);
      expect(res.body).toEqual(read.body);
      expect(read.body.timeline.map((e: { type: string }) => e.type)).toEqual(['created', 'draft_updated']);
      const edited = read.body.timeline[1];
      expect(edited).toMatchObject({ fromStatus: 'draft', toStatus: 'draft', actorId: lmt.id });
      // The event names what changed, never the values (no PHI).
      expect(edited.data.fields).toEqual(
        expect.arrayContaining(['reason', 'bodyRegions', 'painLevel', 'patientId', 'recipientId', 'neededBy']),
      );
      expect(JSON.stringify(edited.data)).not.toContain('Low back');
      expect(await countRows(sql, 'audit_events', `action = 'referral.update' AND resource_id = $1`, [created.id])).toBe(1);
      expect(await countRows(sql, 'outbox_events', `type = 'referral.draft_updated' AND referral_id = $1`, [created.id])).toBe(1);
    });

    it('names in its event and audit row only the fields whose value changed: a form saves every field', async () => {
      const body = injuryReferralBody(patientId, pt.id);
      const created = await draft();
      // The web form sends the whole draft each time; here only the reason differs.
      const first = await patch(lmt, created.id, { ...body, version: created.version, reason: 'Left shoulder, worse at night' });
      expect(first.status).toBe(200);
      // Then the same again: nothing changes, and the edit says so.
      const second = await patch(lmt, created.id, {
        ...body,
        version: first.body.version,
        reason: 'Left shoulder, worse at night',
      });
      expect(second.status).toBe(200);
      // To an invitee, then to the same invitee again: the second names no recipient change.
      const invitee = { email: uniqueEmail('outside-pt'), fullName: 'Outside Physio', role: 'physical_therapist' };
      const third = await patch(lmt, created.id, { version: second.body.version, recipientInvite: invitee });
      expect(third.status).toBe(200);
      const fourth = await patch(lmt, created.id, { version: third.body.version, recipientInvite: invitee, painLevel: 7 });
      expect(fourth.status).toBe(200);

      const edits = await sql.query<{ data: unknown }>(
        `SELECT data FROM referral_events WHERE referral_id = $1 AND type = 'draft_updated' ORDER BY occurred_at, id`,
        [created.id],
      );
      const expected = [{ fields: ['reason'] }, { fields: [] }, { fields: ['recipientInvite'] }, { fields: ['painLevel'] }];
      expect(edits.rows.map((row) => row.data)).toEqual(expected);
      const audits = await sql.query<{ details: unknown }>(
        `SELECT details FROM audit_events WHERE action = 'referral.update' AND resource_id = $1 ORDER BY occurred_at, id`,
        [created.id],
      );
      expect(audits.rows.map((row) => row.details)).toEqual(expected);
    });

    it('takes the version as If-Match too; without any version it is 400 naming the field', async () => {
      const created = await draft();
      const res = await t.http
        .patch(`/api/v1/referrals/${created.id}`)
        .set(lmt.auth)
        .set('If-Match', `"${created.version}"`)
        .send({ priority: 'urgent' })
        .expect(200);
      expect(res.body).toMatchObject({ priority: 'urgent', version: created.version + 1 });
      const missing = await patch(lmt, created.id, { priority: 'routine' });
      expectProblem(missing, 400, 'validation_failed');
      expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'version' })]);
    });

    it('answers 409 stale_version for a version that is not current, and writes nothing', async () => {
      const created = await draft();
      await patch(lmt, created.id, { version: created.version, reason: 'First edit' }).expect(200);
      const stale = await patch(lmt, created.id, { version: created.version, reason: 'Second edit' });
      expectProblem(stale, 409, 'stale_version');
      expect(stale.body.currentVersion).toBe(created.version + 1);
      const read = await t.http.get(`/api/v1/referrals/${created.id}`).set(lmt.auth).expect(200);
      expect(read.body).toMatchObject({ reason: 'First edit', version: created.version + 1 });
    });

    it('answers 409 invalid_transition with currentStatus and allowedActions once the referral was sent', async () => {
      const sent = await actOk(t.http, lmt, await draft(), 'send');
      const refused = await patch(lmt, sent.id, { version: sent.version, reason: 'Too late' });
      expectProblem(refused, 409, 'invalid_transition');
      expect(refused.body).toMatchObject({ currentStatus: 'sent', allowedActions: ['cancel'] });
      // The recipient sees the sent referral, and cannot edit it either.
      const asRecipient = await patch(pt, sent.id, { version: sent.version, reason: 'Mine now' });
      expectProblem(asRecipient, 409, 'invalid_transition');
      expect(asRecipient.body.currentStatus).toBe('sent');
    });

    it('is the sender side’s alone: an admin of the sender’s clinic may; a colleague is 404; the recipient side and a third clinic get 404', async () => {
      const created = await draft();
      const byAdmin = await patch(massageClinic.admin, created.id, { version: created.version, reason: 'Edited by the admin' });
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body.timeline.at(-1)).toMatchObject({ type: 'draft_updated', actorId: massageClinic.admin.id });
      const version = byAdmin.body.version;
      for (const outsider of [pt, ptClinic.admin, otherLmt, thirdClinic.admin, lmtColleague]) {
        expectProblem(await patch(outsider, created.id, { version, reason: 'Not yours' }), 404, 'not_found');
      }
      expectProblem(await patch(lmt, randomUUID(), { version: 1, reason: 'No such draft' }), 404, 'not_found');
      const read = await t.http.get(`/api/v1/referrals/${created.id}`).set(lmt.auth).expect(200);
      expect(read.body).toMatchObject({ reason: 'Edited by the admin', version });
    });

    it('refuses bad input with 400 naming each field: unknown fields, wrong types, nulls for required fields, sender fields', async () => {
      const created = await draft();
      const cases: [Record<string, unknown>, string][] = [
        [{ diagnosis: 'rotator cuff tear' }, 'diagnosis'],
        [{ senderId: lmtColleague.id }, 'senderId'],
        [{ replacesId: randomUUID() }, 'replacesId'],
        [{ priority: 'whenever' }, 'priority'],
        [{ reason: null }, 'reason'],
        [{ kind: null }, 'kind'],
        [{ painLevel: 11 }, 'painLevel'],
        [{ redFlags: ['headache'] }, 'redFlags'],
        [{ emergencyAdviceGiven: 'yes' }, 'emergencyAdviceGiven'],
        [{ neededBy: dateInDays(-1) }, 'neededBy'],
        [
          { recipientId: pt2.id, recipientInvite: { email: 'new@example.test', fullName: 'New PT', role: 'physical_therapist' } },
          'recipientId',
        ],
        [{}, 'body'],
      ];
      for (const [body, field] of cases) {
        const res = await patch(lmt, created.id, { version: created.version, ...body });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      }
      const read = await t.http.get(`/api/v1/referrals/${created.id}`).set(lmt.auth).expect(200);
      expect(read.body.version).toBe(created.version);
    });

    it('checks every create rule on the edited draft', async () => {
      const created = await draft();
      const v = created.version;
      // Red flags need urgent: on the merged draft (the stored priority is routine).
      const flags = await patch(lmt, created.id, { version: v, redFlags: ['night_pain'] });
      expectProblem(flags, 422, 'red_flags_require_urgent');
      // A massage therapist as the recipient of an injury referral.
      expectProblem(await patch(lmt, created.id, { version: v, recipientId: lmtColleague.id }), 422, 'recipient_type_mismatch');
      // A maintenance referral is the PT's: the LMT sender cannot turn the draft into one.
      expectProblem(
        await patch(lmt, created.id, {
          version: v,
          kind: 'maintenance_massage',
          plan: maintenanceReferralBody(patientId, pt.id).plan,
        }),
        422,
        'sender_role_mismatch',
      );
      // An injury referral has no plan.
      const plan = await patch(lmt, created.id, { version: v, plan: maintenanceReferralBody(patientId, pt.id).plan });
      expectProblem(plan, 400, 'validation_failed');
      expect(plan.body.errors).toEqual([expect.objectContaining({ field: 'plan' })]);
      // A patient of another clinic, a recipient who does not exist.
      const foreign = await createPatient(t.http, otherLmt);
      expectProblem(await patch(lmt, created.id, { version: v, patientId: foreign.id }), 404, 'not_found');
      expectProblem(await patch(lmt, created.id, { version: v, recipientId: randomUUID() }), 404, 'not_found');
      // A recipient who stopped accepting referrals since the draft was written.
      await t.http.patch(`/api/v1/practitioners/${pt2.id}`).set(pt2.auth).send({ acceptingReferrals: false }).expect(200);
      expectProblem(await patch(lmt, created.id, { version: v, recipientId: pt2.id }), 422, 'recipient_not_accepting');
      await t.http.patch(`/api/v1/practitioners/${pt2.id}`).set(pt2.auth).send({ acceptingReferrals: true }).expect(200);
      // None of it was written; a valid edit of the same kind then is.
      const read = await t.http.get(`/api/v1/referrals/${created.id}`).set(lmt.auth).expect(200);
      expect(read.body).toMatchObject({ version: v, redFlags: [], recipientId: pt.id, patientId });
      const ok = await patch(lmt, created.id, { version: v, redFlags: ['night_pain'], priority: 'urgent' }).expect(200);
      expect(ok.body).toMatchObject({ redFlags: ['night_pain'], priority: 'urgent' });
    });

    it('null clears bodyRegions and redFlags as [] does; a list sent as a string is 400 "must be an array"', async () => {
      const created = await draft({ priority: 'urgent', redFlags: ['night_pain'], bodyRegions: ['neck', 'shoulder_left'] });
      const cleared = await patch(lmt, created.id, { version: created.version, bodyRegions: null, redFlags: null }).expect(200);
      expect(cleared.body).toMatchObject({ bodyRegions: [], redFlags: [], version: created.version + 1 });
      const wrong = await patch(lmt, created.id, { version: cleared.body.version, bodyRegions: 'neck' });
      expectProblem(wrong, 400, 'validation_failed');
      expect(wrong.body.errors).toEqual([{ field: 'bodyRegions', message: 'must be an array' }]);
    });

    it("a redirect's draft keeps the patient of the referral it redirects (422 not_redirectable naming patientId)", async () => {
      const declined = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'declined');
      const redirect = await draft({ recipientId: pt2.id, replacesId: declined.id });
      const otherPatient = await createPatient(t.http, lmt, { firstName: 'Sam' });
      const res = await patch(lmt, redirect.id, { version: redirect.version, patientId: otherPatient.id });
      expectProblem(res, 422, 'not_redirectable');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'patientId' })]);
      // Naming the same patient again is no change of person.
      await patch(lmt, redirect.id, { version: redirect.version, patientId }).expect(200);
    });

    it('a PT edits a maintenance draft: the plan is replaced as a whole', async () => {
      const ptPatient = await createPatient(t.http, pt);
      const created = await createReferral(t.http, pt, maintenanceReferralBody(ptPatient.id, lmt.id));
      const res = await patch(pt, created.id, {
        version: created.version,
        plan: { sessionsPerWeek: 2, durationWeeks: 6, pressure: 'light', precautions: 'Avoid the surgical scar' },
      }).expect(200);
      expect(res.body.plan).toMatchObject({
        sessionsPerWeek: 2,
        frequencyWeeks: null,
        durationWeeks: 6,
        pressure: 'light',
        precautions: 'Avoid the surgical scar',
        focusAreas: [],
      });
      // A review date before the plan exists is refused, and changes nothing.
      const past = await patch(pt, created.id, {
        version: res.body.version,
        plan: { frequencyWeeks: 2, pressure: 'light', precautions: 'x', reviewBy: '2020-01-01' },
      });
      expectProblem(past, 400, 'validation_failed');
      expect(past.body.errors).toEqual([{ field: 'plan.reviewBy', message: 'must be today or later' }]);
      // Removing the plan of a maintenance draft that is not a follow-up is refused.
      const removed = await patch(pt, created.id, { version: res.body.version, plan: null });
      expectProblem(removed, 400, 'validation_failed');
      expect(removed.body.errors).toEqual([expect.objectContaining({ field: 'plan' })]);
    });

    it('two edits with the same version at once: exactly one wins, the other is 409 stale_version', async () => {
      for (let round = 0; round < 5; round += 1) {
        const created = await draft();
        const results = await Promise.all(
          ['A', 'B', 'C'].map((tag) => patch(lmt, created.id, { version: created.version, reason: `Edit ${tag}` })),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).toEqual([200, 409, 409]);
        for (const loser of results.filter((r) => r.status === 409)) expectProblem(loser, 409, 'stale_version');
        const winner = results.find((r) => r.status === 200)!;
        const read = await t.http.get(`/api/v1/referrals/${created.id}`).set(lmt.auth).expect(200);
        expect(read.body).toMatchObject({ version: created.version + 1, reason: winner.body.reason });
        expect(await countRows(sql, 'referral_events', `referral_id = $1 AND type = 'draft_updated'`, [created.id])).toBe(1);
      }
    });

    it('an edit and a send at once: one wins, and the referral is never edited after it was sent', async () => {
      const created = await draft();
      const [edit, send] = await Promise.all([
        patch(lmt, created.id, { version: created.version, reason: 'Raced edit' }),
        act(t.http, lmt, created.id, 'send', created.version),
      ]);
      expect([edit.status, send.status].sort()).toEqual([200, 409]);
      const read = await t.http.get(`/api/v1/referrals/${created.id}`).set(lmt.auth).expect(200);
      expect(read.body.status).toBe(send.status === 200 ? 'sent' : 'draft');
      expect(read.body.reason).toBe(edit.status === 200 ? 'Raced edit' : injuryReferralBody(patientId, pt.id).reason);
    });

    it('switches a draft to a recipient not on ReferLoop and back', async () => {
      const created = await draft();
      const invited = await patch(lmt, created.id, {
        version: created.version,
        recipientInvite: { email: 'casey.physio@example.test', fullName: 'Casey Physio', role: 'physical_therapist' },
      }).expect(200);
      expect(invited.body).toMatchObject({
        recipientId: null,
        recipient: null,
        recipientInvite: { email: 'casey.physio@example.test', status: 'pending' },
      });
      // The invite was made for a PT: a massage therapist invite is refused for an injury referral.
      expectProblem(
        await patch(lmt, created.id, {
          version: invited.body.version,
          recipientInvite: { email: 'lee@example.test', fullName: 'Lee', role: 'massage_therapist' },
        }),
        422,
        'recipient_type_mismatch',
      );
      const back = await patch(lmt, created.id, { version: invited.body.version, recipientId: pt.id }).expect(200);
      expect(back.body).toMatchObject({ recipientId: pt.id, recipient: { id: pt.id } });
      expect(back.body.recipientInvite).toBeUndefined();
    });
  });

  describe('emergency advice', () => {
    it('sending with an emergency red flag needs emergencyAdviceGiven: 422 emergency_advice_required, then sent once recorded', async () => {
      const created = await draft({ priority: 'urgent', redFlags: ['saddle_numbness', 'night_pain'] });
      expect(created).toMatchObject({ emergencyAdviceGiven: false });
      const refused = await act(t.http, lmt, created.id, 'send', created.version);
      expectProblem(refused, 422, 'emergency_advice_required');
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'emergencyAdviceGiven' })]);
      const read = await t.http.get(`/api/v1/referrals/${created.id}`).set(lmt.auth).expect(200);
      expect(read.body).toMatchObject({ status: 'draft', version: created.version });

      const recorded = await patch(lmt, created.id, { version: created.version, emergencyAdviceGiven: true }).expect(200);
      expect(recorded.body.emergencyAdviceGiven).toBe(true);
      const sent = await actOk(t.http, lmt, recorded.body, 'send');
      expect(sent).toMatchObject({ status: 'sent', emergencyAdviceGiven: true, redFlags: ['saddle_numbness', 'night_pain'] });
      // The recipient sees that the client was told.
      const asRecipient = await t.http.get(`/api/v1/referrals/${created.id}`).set(pt.auth).expect(200);
      expect(asRecipient.body.emergencyAdviceGiven).toBe(true);
    });

    it('each emergency sign needs it; given at create, the referral is sent at once; other red flags do not need it', async () => {
      for (const flag of ['bladder_bowel_change', 'calf_swelling_redness']) {
        const without = await draft({ priority: 'urgent', redFlags: [flag] });
        expectProblem(await act(t.http, lmt, without.id, 'send', without.version), 422, 'emergency_advice_required');
        const withAdvice = await draft({ priority: 'urgent', redFlags: [flag], emergencyAdviceGiven: true });
        expect(await actOk(t.http, lmt, withAdvice, 'send')).toMatchObject({ status: 'sent', emergencyAdviceGiven: true });
      }
      const other = await draft({ priority: 'urgent', redFlags: ['fever', 'night_pain'] });
      expect(await actOk(t.http, lmt, other, 'send')).toMatchObject({ status: 'sent', emergencyAdviceGiven: false });
    });

    it('GET /reference-data names the emergency signs and the advice', async () => {
      const res = await t.http.get('/api/v1/reference-data').expect(200);
      expect(res.body.emergencyRedFlags).toEqual(['saddle_numbness', 'bladder_bowel_change', 'calf_swelling_redness']);
      expect(res.body.emergencyAdvice).toMatch(/emergency care now/);
    });
  });

  describe('POST /referrals', () => {
    it('answers the new referral exactly as GET does: its created event, and no attachments, progress or follow-ups yet', async () => {
      const declined = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'declined');
      const invite = { email: uniqueEmail('outside-pt'), fullName: 'Dr Sam Okafor', role: 'physical_therapist' };
      const bodies = {
        'to a practitioner': injuryReferralBody(patientId, pt.id),
        'to someone not on ReferLoop': {
          ...injuryReferralBody(patientId, pt.id),
          recipientId: undefined,
          recipientInvite: invite,
        },
        'redirecting a declined referral': injuryReferralBody(patientId, pt2.id, { replacesId: declined.id }),
        'maintenance, with a plan': maintenanceReferralBody(patientId, lmtColleague.id, { priority: 'urgent' }),
      };
      for (const [name, body] of Object.entries(bodies)) {
        const sender = body.kind === 'maintenance_massage' ? pt : lmt;
        const patient = body.kind === 'maintenance_massage' ? (await createPatient(t.http, pt)).id : patientId;
        const created = await t.http
          .post('/api/v1/referrals')
          .set(sender.auth)
          .send({ ...body, patientId: patient });
        expect([name, created.status]).toEqual([name, 201]);
        const read = await t.http.get(`/api/v1/referrals/${created.body.id}`).set(sender.auth).expect(200);
        expect([name, created.body]).toEqual([name, read.body]);
        expect(created.body.timeline).toEqual([
          expect.objectContaining({ type: 'created', fromStatus: null, toStatus: 'draft', actorId: sender.id }),
        ]);
        expect([created.body.attachments, created.body.followUpIds]).toEqual([[], []]);
      }
    });
  });
});
