import { REFERRAL_ACTIONS } from '@referloop/common';
import { SPEC_ACTIONS, SPEC_STATES, specAllowedActions } from '@referloop/testing/spec-lifecycle';
import { Client } from 'pg';
import {
  ACTION_EVENT,
  act,
  actionBody,
  actOk,
  createPatient,
  createReferral,
  inDays,
  injuryReferralBody,
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

type Party = 'sender' | 'recipient';
type Referral = Awaited<ReturnType<typeof referralIn>>;
type TimelineEvent = {
  type: string;
  fromStatus: string | null;
  toStatus: string;
  actorId: string | null;
  reason: string | null;
  note: string | null;
};

/**
 * The lifecycle table of SPEC.md, exhaustively over HTTP: every state × every action, called by
 * the party that takes it and by the other party.
 */
describe('referral state machine over HTTP', () => {
  let t: TestApp;
  let sql: Client;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let patientId: string;

  const user = (party: Party) => (party === 'sender' ? lmt : pt);
  const parties = () => ({ sender: lmt, recipient: pt });
  const readAsSender = async (id: string): Promise<Referral> =>
    (await t.http.get(`/api/v1/referrals/${id}`).set(lmt.auth).expect(200)).body;

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    patientId = (await createPatient(t.http, lmt)).id;
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  describe.each(SPEC_STATES.map((s) => [s]))('from %s', (status) => {
    // One referral in this state takes every refused call; each allowed call gets a fresh one.
    let probe: Referral;
    beforeAll(async () => {
      probe = await referralIn(t.http, parties(), patientId, status, sql);
      expect(probe.status).toBe(status);
    });

    it.each(REFERRAL_ACTIONS.map((a) => [a]))('%s, by the party that takes it and by the other party', async (action) => {
      const spec = SPEC_ACTIONS[action];
      for (const party of ['sender', 'recipient'] as const) {
        const caller = user(party);
        const label = `${action} from ${status} as ${party}`;

        if (status === 'draft' && party === 'recipient') {
          // A draft is invisible to the recipient side: not even its existence is revealed.
          const res = await act(t.http, caller, probe.id, action, probe.version, actionBody(action));
          expectProblem(res, 404, 'not_found');
          continue;
        }

        if (!spec.from.includes(status)) {
          const res = await act(t.http, caller, probe.id, action, probe.version, actionBody(action));
          expect({ label, status: res.status, code: res.body.code }).toEqual({ label, status: 409, code: 'invalid_transition' });
          expectProblem(res, 409, 'invalid_transition');
          expect(res.body.currentStatus).toBe(status);
          expect([...res.body.allowedActions].sort()).toEqual(specAllowedActions(status, party));
          continue;
        }

        if (spec.who !== 'either' && spec.who !== party) {
          const res = await act(t.http, caller, probe.id, action, probe.version, actionBody(action));
          expect({ label, status: res.status }).toEqual({ label, status: 403 });
          expectProblem(res, 403, 'forbidden');
          continue;
        }

        const fresh = await referralIn(t.http, parties(), patientId, status, sql);
        const res = await act(t.http, caller, fresh.id, action, fresh.version, actionBody(action));
        expect({ label, status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({
          label,
          status: 200,
          body: undefined,
        });
        const next = spec.to === 'same' ? status : spec.to;
        expect(res.body).toMatchObject({ id: fresh.id, status: next, version: fresh.version + 1 });
        // Exactly one new timeline event, recorded with the caller as actor.
        const timeline: TimelineEvent[] = res.body.timeline;
        expect(timeline).toHaveLength(fresh.timeline.length + 1);
        expect(timeline.slice(0, -1)).toEqual(fresh.timeline);
        expect(timeline[timeline.length - 1]).toMatchObject({
          type: ACTION_EVENT[action],
          fromStatus: status,
          toStatus: next,
          actorId: caller.id,
        });
        const events = await t.http.get(`/api/v1/referrals/${fresh.id}/events`).set(lmt.auth).expect(200);
        expect(events.body.items).toHaveLength(timeline.length);
        // The answer offers what the caller may do next.
        expect([...res.body.allowedActions].sort()).toEqual(specAllowedActions(next, party));
      }
    });

    it('is left exactly as it was by every refused call', async () => {
      const now = await readAsSender(probe.id);
      expect(now).toMatchObject({ status, version: probe.version });
      expect(now.timeline).toHaveLength(probe.timeline.length);
    });
  });

  describe('bodies the actions carry', () => {
    it('records the reason, the note, the appointment and the outcome', async () => {
      let r = await referralIn(t.http, parties(), patientId, 'sent');
      r = await actOk(t.http, pt, r, 'request-info', { reason: 'Please send the imaging report' });
      expect(r.timeline.at(-1)).toMatchObject({ type: 'info_requested', reason: 'Please send the imaging report' });
      r = await actOk(t.http, lmt, r, 'provide-info', { note: 'Report is on its way' });
      expect(r.timeline.at(-1)).toMatchObject({ type: 'info_provided', note: 'Report is on its way', toStatus: 'received' });
      r = await actOk(t.http, pt, r, 'accept');
      const appointmentAt = inDays(5);
      r = await actOk(t.http, pt, r, 'schedule', { appointmentAt });
      expect(r.appointmentAt).toBe(appointmentAt);
      r = await actOk(t.http, pt, r, 'start-care');
      r = await actOk(t.http, pt, r, 'send-outcome', { outcome: { summary: 'Back to full strength' } });
      expect(r.outcome).toMatchObject({ summary: 'Back to full strength', recommendations: null, sentAt: expect.any(String) });
      expect(Date.parse(r.outcome?.sentAt ?? '')).not.toBeNaN();
    });
  });

  describe('reschedule', () => {
    it('moves the appointment, keeps the referral scheduled and records the old and new time', async () => {
      let r = await referralIn(t.http, parties(), patientId, 'accepted');
      const first = inDays(3);
      r = await actOk(t.http, pt, r, 'schedule', { appointmentAt: first });
      const moved = inDays(6);
      r = await actOk(t.http, pt, r, 'reschedule', { appointmentAt: moved, reason: 'The client asked for a later day' });
      expect(r).toMatchObject({ status: 'scheduled', appointmentAt: moved });
      expect(r.timeline.at(-1)).toMatchObject({
        type: 'rescheduled',
        fromStatus: 'scheduled',
        toStatus: 'scheduled',
        reason: 'The client asked for a later day',
        data: { previousAppointmentAt: first, appointmentAt: moved },
      });
    });

    it('refuses a time in the past or a missing time (400 appointmentAt) and changes nothing', async () => {
      const r = await referralIn(t.http, parties(), patientId, 'scheduled');
      const past = await act(t.http, pt, r.id, 'reschedule', r.version, {
        appointmentAt: new Date(Date.now() - 3600_000).toISOString(),
      });
      expectProblem(past, 400, 'validation_failed');
      expect(past.body.errors).toEqual([expect.objectContaining({ field: 'appointmentAt' })]);
      const missing = await act(t.http, pt, r.id, 'reschedule', r.version, { reason: 'Later' });
      expectProblem(missing, 400, 'validation_failed');
      expect(await readAsSender(r.id)).toMatchObject({ status: 'scheduled', version: r.version, appointmentAt: r.appointmentAt });
    });

    it('refuses a no-show (that removes the appointment: unschedule) and a move to the same time, naming the field', async () => {
      const r = await referralIn(t.http, parties(), patientId, 'scheduled');
      const noShow = await act(t.http, pt, r.id, 'reschedule', r.version, { appointmentAt: inDays(9), reason: 'no_show' });
      expectProblem(noShow, 400, 'validation_failed');
      expect(noShow.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
      const same = await act(t.http, pt, r.id, 'reschedule', r.version, { appointmentAt: r.appointmentAt });
      expectProblem(same, 400, 'validation_failed');
      expect(same.body.errors).toEqual([expect.objectContaining({ field: 'appointmentAt' })]);
      expect(await readAsSender(r.id)).toMatchObject({ status: 'scheduled', version: r.version, appointmentAt: r.appointmentAt });
    });
  });

  describe('versions', () => {
    let r: Referral;
    beforeEach(async () => {
      r = await referralIn(t.http, parties(), patientId, 'received');
    });

    it('refuses a stale body version with 409 stale_version and changes nothing', async () => {
      const res = await act(t.http, pt, r.id, 'accept', r.version - 1);
      expectProblem(res, 409, 'stale_version');
      expect(res.body.currentVersion).toBe(r.version);
      const ahead = await act(t.http, pt, r.id, 'accept', r.version + 1);
      expectProblem(ahead, 409, 'stale_version');
      expect(await readAsSender(r.id)).toMatchObject({ status: 'received', version: r.version });
    });

    it('takes the version from If-Match: "N" and refuses a stale one', async () => {
      const stale = await t.http
        .post(`/api/v1/referrals/${r.id}/accept`)
        .set(pt.auth)
        .set('If-Match', `"${r.version - 1}"`)
        .send({});
      expectProblem(stale, 409, 'stale_version');
      const ok = await t.http.post(`/api/v1/referrals/${r.id}/accept`).set(pt.auth).set('If-Match', `"${r.version}"`).send({});
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ status: 'accepted', version: r.version + 1 });
      expect(ok.headers.etag).toBe(`"${r.version + 1}"`);
    });

    it('answers 400 naming `version` when the body and If-Match name different versions', async () => {
      const res = await t.http
        .post(`/api/v1/referrals/${r.id}/accept`)
        .set(pt.auth)
        .set('If-Match', `"${r.version + 5}"`)
        .send({ version: r.version });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'version' })]);
      expect(await readAsSender(r.id)).toMatchObject({ status: r.status, version: r.version });
    });

    it('answers 400 naming `version` when neither the body nor If-Match carries one', async () => {
      const res = await t.http.post(`/api/v1/referrals/${r.id}/accept`).set(pt.auth).send({});
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'version' })]));
      const noBody = await t.http.post(`/api/v1/referrals/${r.id}/accept`).set(pt.auth);
      expectProblem(noBody, 400, 'validation_failed');
      expect(await readAsSender(r.id)).toMatchObject({ status: 'received', version: r.version });
    });

    it('answers 400 to an If-Match that is not a version', async () => {
      const res = await t.http.post(`/api/v1/referrals/${r.id}/accept`).set(pt.auth).set('If-Match', '"abc"').send({});
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'If-Match' })]);
    });

    it('answers 404 to an action that does not exist, and to a system transition called by hand', async () => {
      for (const action of ['approve', 'expire', 'auto-close']) {
        const res = await act(t.http, pt, r.id, action, r.version);
        expectProblem(res, 404, 'not_found');
      }
      expect(await readAsSender(r.id)).toMatchObject({ status: 'received', version: r.version });
    });

    it('answers 400 to a field the action does not take, naming it', async () => {
      for (const [action, body, field] of [
        ['accept', { reason: 'x' }, 'reason'],
        ['accept', { appointmentAt: inDays(2) }, 'appointmentAt'],
        ['request-info', { reason: 'why?', outcome: { summary: 'x' } }, 'outcome'],
        ['decline', { reason: 'busy', note: 'sorry' }, 'note'],
      ] as const) {
        const res = await act(t.http, pt, r.id, action, r.version, body);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      }
      expect(await readAsSender(r.id)).toMatchObject({ status: 'received', version: r.version });
    });

    it('answers 400 to a missing required field, naming it', async () => {
      for (const [action, field] of [
        ['decline', 'reason'],
        ['request-info', 'reason'],
      ] as const) {
        const res = await act(t.http, pt, r.id, action, r.version);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      }
    });

    it('refuses to schedule an appointment in the past (400 appointmentAt)', async () => {
      const accepted = await actOk(t.http, pt, r, 'accept');
      for (const appointmentAt of [inDays(-1), new Date(Date.now() - 60_000).toISOString()]) {
        const res = await act(t.http, pt, r.id, 'schedule', accepted.version, { appointmentAt });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'appointmentAt' })]);
      }
      const missing = await act(t.http, pt, r.id, 'schedule', accepted.version);
      expectProblem(missing, 400, 'validation_failed');
      expect(await readAsSender(r.id)).toMatchObject({ status: 'accepted', version: accepted.version, appointmentAt: null });
    });
  });

  describe('clinic admins acting for their practitioners', () => {
    it('the sender clinic admin sends, cancels and closes; the recipient clinic admin accepts and schedules; each recorded as the admin', async () => {
      const senderAdmin = massageClinic.admin;
      const recipientAdmin = ptClinic.admin;

      let draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
      draft = await actOk(t.http, senderAdmin, draft, 'send');
      expect(draft.timeline.at(-1)).toMatchObject({ type: 'sent', actorId: senderAdmin.id });

      let r = await actOk(t.http, recipientAdmin, draft, 'accept');
      expect(r.timeline.at(-1)).toMatchObject({ type: 'accepted', actorId: recipientAdmin.id });
      r = await actOk(t.http, recipientAdmin, r, 'schedule', { appointmentAt: inDays(4) });
      expect(r.timeline.at(-1)).toMatchObject({ type: 'scheduled', actorId: recipientAdmin.id });
      r = await actOk(t.http, pt, r, 'start-care');
      r = await actOk(t.http, pt, r, 'send-outcome', actionBody('send-outcome'));
      r = await actOk(t.http, senderAdmin, r, 'close');
      expect(r).toMatchObject({ status: 'closed' });
      expect(r.timeline.at(-1)).toMatchObject({ type: 'closed', actorId: senderAdmin.id });
      expect(r.senderId).toBe(lmt.id);

      const toCancel = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
      const cancelled = await actOk(t.http, senderAdmin, toCancel, 'cancel', { reason: 'Entered by mistake' });
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.timeline.at(-1)).toMatchObject({
        type: 'cancelled',
        actorId: senderAdmin.id,
        reason: 'Entered by mistake',
      });

      // The audit trail names the admin too.
      const { rows } = await sql.query(
        `SELECT actor_id, clinic_id FROM audit_events WHERE action = 'referral.close' AND resource_id = $1`,
        [r.id],
      );
      expect(rows).toEqual([{ actor_id: senderAdmin.id, clinic_id: massageClinic.clinicId }]);
    });

    it("an admin acts only for their own clinic's side (403 for the other side's actions)", async () => {
      const r = await referralIn(t.http, parties(), patientId, 'received');
      expectProblem(await act(t.http, massageClinic.admin, r.id, 'accept', r.version), 403, 'forbidden');
      expectProblem(await act(t.http, ptClinic.admin, r.id, 'cancel', r.version, { reason: 'no' }), 403, 'forbidden');
      // A draft is not visible to the recipient clinic's admin at all.
      const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
      expectProblem(await act(t.http, ptClinic.admin, draft.id, 'send', draft.version), 404, 'not_found');
      expect(await readAsSender(r.id)).toMatchObject({ status: 'received', version: r.version });
    });

    it('the allowedActions an admin is offered are their side’s', async () => {
      const r = await referralIn(t.http, parties(), patientId, 'received');
      const asSenderAdmin = await t.http.get(`/api/v1/referrals/${r.id}`).set(massageClinic.admin.auth).expect(200);
      expect([...asSenderAdmin.body.allowedActions].sort()).toEqual(specAllowedActions('received', 'sender'));
      const asRecipientAdmin = await t.http.get(`/api/v1/referrals/${r.id}`).set(ptClinic.admin.auth).expect(200);
      expect([...asRecipientAdmin.body.allowedActions].sort()).toEqual(specAllowedActions('received', 'recipient'));
    });
  });

  describe('automatic acknowledge', () => {
    it("the recipient's first read moves sent → received once, with one 'acknowledged' event; the sender's read does not", async () => {
      const sent = await referralIn(t.http, parties(), patientId, 'sent');

      const bySender = await readAsSender(sent.id);
      expect(bySender).toMatchObject({ status: 'sent', version: sent.version });
      expect(bySender.timeline).toHaveLength(sent.timeline.length);

      const first = await t.http.get(`/api/v1/referrals/${sent.id}`).set(pt.auth).expect(200);
      expect(first.body).toMatchObject({ status: 'received', version: sent.version + 1 });
      expect(first.body.timeline).toHaveLength(sent.timeline.length + 1);
      expect(first.body.timeline.at(-1)).toMatchObject({
        type: 'acknowledged',
        fromStatus: 'sent',
        toStatus: 'received',
        actorId: pt.id,
      });

      const second = await t.http.get(`/api/v1/referrals/${sent.id}`).set(pt.auth).expect(200);
      expect(second.body).toMatchObject({ status: 'received', version: sent.version + 1 });
      expect(second.body.timeline).toHaveLength(first.body.timeline.length);
    });

    it('reading the events list does not acknowledge, and an explicit acknowledge after the read is an invalid transition', async () => {
      const sent = await referralIn(t.http, parties(), patientId, 'sent');
      await t.http.get(`/api/v1/referrals/${sent.id}/events`).set(pt.auth).expect(200);
      expect(await readAsSender(sent.id)).toMatchObject({ status: 'sent', version: sent.version });
      const read = await t.http.get(`/api/v1/referrals/${sent.id}`).set(pt.auth).expect(200);
      const res = await act(t.http, pt, sent.id, 'acknowledge', read.body.version);
      expectProblem(res, 409, 'invalid_transition');
      expect(res.body.currentStatus).toBe('received');
    });
  });
});
