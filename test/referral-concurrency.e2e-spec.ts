import { Clock } from '@referloop/common';
import { ReferralTimers } from '@referloop/referrals';
import { Client } from 'pg';
import { act, countRows, createPatient, injuryReferralBody, referralIn, someoneWaitsOnALock } from './support/referral-helpers';
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

/** Races: optimistic concurrency on actions, idempotent create, and consent grants. */
describe('referral concurrency', () => {
  let t: TestApp;
  let sql: Client;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let lmt: SignedInUser;
  let lmtColleague: SignedInUser;
  let pt: SignedInUser;
  let patientId: string;

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    lmtColleague = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    patientId = (await createPatient(t.http, lmt)).id;
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  it('20 concurrent accepts of the same version: exactly one 200, nineteen 409 stale_version, one accepted event', async () => {
    const received = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'received');
    const answers = await Promise.all(Array.from({ length: 20 }, () => act(t.http, pt, received.id, 'accept', received.version)));

    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(19).fill(409)]);
    for (const refused of answers.filter((r) => r.status !== 200)) expectProblem(refused, 409, 'stale_version');
    const winner = answers.find((r) => r.status === 200)!;
    expect(winner.body).toMatchObject({ status: 'accepted', version: received.version + 1 });

    expect(await countRows(sql, 'referral_events', `referral_id = $1 AND type = 'accepted'`, [received.id])).toBe(1);
    expect(await countRows(sql, 'referral_events', 'referral_id = $1', [received.id])).toBe(received.timeline.length + 1);
    const { rows } = await sql.query(`SELECT status, version FROM referrals WHERE id = $1`, [received.id]);
    expect(rows).toEqual([{ status: 'accepted', version: received.version + 1 }]);
  });

  it('concurrent different actions on the same version: one wins, the rest are stale, one event', async () => {
    const received = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'received');
    const answers = await Promise.all([
      act(t.http, pt, received.id, 'accept', received.version),
      act(t.http, pt, received.id, 'decline', received.version, { reason: 'Full this month' }),
      act(t.http, pt, received.id, 'request-info', received.version, { reason: 'Which shoulder?' }),
      act(t.http, lmt, received.id, 'cancel', received.version, { reason: 'Patient went elsewhere' }),
    ]);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    for (const refused of answers.filter((r) => r.status !== 200)) expectProblem(refused, 409, 'stale_version');
    expect(await countRows(sql, 'referral_events', 'referral_id = $1', [received.id])).toBe(received.timeline.length + 1);
  });

  it("the recipient's concurrent first reads acknowledge once: one 'acknowledged' event, version + 1", async () => {
    const sent = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'sent');
    const reads = await Promise.all(Array.from({ length: 8 }, () => t.http.get(`/api/v1/referrals/${sent.id}`).set(pt.auth)));
    expect(reads.map((r) => r.status)).toEqual(Array(8).fill(200));
    for (const read of reads) expect(read.body).toMatchObject({ status: 'received', version: sent.version + 1 });
    expect(await countRows(sql, 'referral_events', `referral_id = $1 AND type = 'acknowledged'`, [sent.id])).toBe(1);
  });

  describe('Idempotency-Key on POST /referrals', () => {
    it('10 concurrent identical creates with one key: all 201 with the same body, one referral row', async () => {
      const key = `create-${Date.now()}-a`;
      const body = injuryReferralBody(patientId, pt.id, { reason: 'Idempotent create' });
      const before = await countRows(sql, 'referrals');
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => t.http.post('/api/v1/referrals').set(lmt.auth).set('Idempotency-Key', key).send(body)),
      );

      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(201));
      const ids = new Set(answers.map((r) => r.body.id));
      expect(ids.size).toBe(1);
      for (const answer of answers) expect(answer.body).toEqual(answers[0].body);
      expect(answers[0].body).toMatchObject({ status: 'draft', version: 1, reason: 'Idempotent create' });
      // One answer did the work; the others were replays.
      expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(9);

      expect(await countRows(sql, 'referrals')).toBe(before + 1);
      expect(await countRows(sql, 'referrals', `reason = 'Idempotent create'`)).toBe(1);
      expect(await countRows(sql, 'referral_events', `referral_id = $1`, [answers[0].body.id])).toBe(1);
    });

    it('a later repeat with the same key and body replays the same referral', async () => {
      const key = `create-${Date.now()}-b`;
      const body = injuryReferralBody(patientId, pt.id, { reason: 'Repeat later' });
      const first = await t.http.post('/api/v1/referrals').set(lmt.auth).set('Idempotency-Key', key).send(body).expect(201);
      // Key order in the body does not matter.
      const reordered = Object.fromEntries(Object.entries(body).reverse());
      const again = await t.http.post('/api/v1/referrals').set(lmt.auth).set('Idempotency-Key', key).send(reordered).expect(201);
      expect(again.body).toEqual(first.body);
      expect(await countRows(sql, 'referrals', `reason = 'Repeat later'`)).toBe(1);
    });

    it('the same key with a different body is 422 idempotency_key_reused, and writes nothing', async () => {
      const key = `create-${Date.now()}-c`;
      await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .set('Idempotency-Key', key)
        .send(injuryReferralBody(patientId, pt.id, { reason: 'First body' }))
        .expect(201);
      const before = await countRows(sql, 'referrals');
      const res = await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .set('Idempotency-Key', key)
        .send(injuryReferralBody(patientId, pt.id, { reason: 'Second body' }));
      expectProblem(res, 422, 'idempotency_key_reused');
      expect(await countRows(sql, 'referrals')).toBe(before);
      expect(await countRows(sql, 'referrals', `reason = 'Second body'`)).toBe(0);
    });

    it('a stored answer expires after 24 h: the key then counts as new, and the timers job deletes old answers', async () => {
      const clock = t.app.get(Clock);
      const key = `create-${Date.now()}-ttl`;
      const body = injuryReferralBody(patientId, pt.id, { reason: 'Kept one day' });
      const start = new Date();
      const at = (hours: number) => new Date(start.getTime() + hours * 3600_000);
      const now = jest.spyOn(clock, 'now');
      try {
        // At each moved Clock the sender signs in again, as a client would have refreshed its token by then.
        const createAt = async (hours: number, idempotencyKey: string, sent: object) => {
          now.mockReturnValue(at(hours));
          const sender = await signInAgain(t.http, lmt);
          return t.http.post('/api/v1/referrals').set(sender.auth).set('Idempotency-Key', idempotencyKey).send(sent).expect(201);
        };
        const first = await createAt(0, key, body);
        const replayed = await createAt(23.9, key, body);
        expect(replayed.headers['idempotent-replayed']).toBe('true');
        expect(replayed.body.id).toBe(first.body.id);

        // A day later the key is new: the request runs again (even with another body) and is stored anew.
        const renewed = await createAt(24.1, key, { ...body, reason: 'Kept one more day' });
        expect(renewed.headers['idempotent-replayed']).toBeUndefined();
        expect(renewed.body.id).not.toBe(first.body.id);
        expect(await countRows(sql, 'idempotency_keys', `key = $1`, [key])).toBe(1);

        // The timers job deletes what is older than 24 h and keeps the rest.
        const other = `create-${Date.now()}-ttl-other`;
        await createAt(30, other, body);
        const run = await t.app.get(ReferralTimers).run(at(48.2), t.config.timers);
        expect(run.idempotencyKeysDeleted).toBeGreaterThanOrEqual(1);
        expect(await countRows(sql, 'idempotency_keys', `key = $1`, [key])).toBe(0);
        expect(await countRows(sql, 'idempotency_keys', `key = $1`, [other])).toBe(1);
      } finally {
        now.mockRestore();
      }
    });

    it('keys are scoped per user: another user with the same key gets their own referral', async () => {
      const key = `create-${Date.now()}-d`;
      const colleaguePatient = await createPatient(t.http, lmtColleague);
      const mine = await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .set('Idempotency-Key', key)
        .send(injuryReferralBody(patientId, pt.id))
        .expect(201);
      const theirs = await t.http
        .post('/api/v1/referrals')
        .set(lmtColleague.auth)
        .set('Idempotency-Key', key)
        .send(injuryReferralBody(colleaguePatient.id, pt.id))
        .expect(201);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirs.body.senderId).toBe(lmtColleague.id);
      expect(theirs.headers['idempotent-replayed']).toBeUndefined();
      // The same body under the same key, from another user, is not a replay either.
      const sameBody = await t.http
        .post('/api/v1/referrals')
        .set(massageClinic.admin.auth)
        .set('Idempotency-Key', key)
        .send(injuryReferralBody(patientId, pt.id, { senderId: lmt.id }))
        .expect(201);
      expect(sameBody.body.id).not.toBe(mine.body.id);
    });

    it('refuses a malformed key with 400 and writes nothing', async () => {
      const before = await countRows(sql, 'referrals');
      for (const key of ['k'.repeat(300), 'has spaces in it', 'tab\there', 'ünïcode']) {
        const res = await t.http
          .post('/api/v1/referrals')
          .set(lmt.auth)
          .set('Idempotency-Key', key)
          .send(injuryReferralBody(patientId, pt.id));
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      }
      // 255 visible characters is the longest key accepted.
      await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .set('Idempotency-Key', `${Date.now()}`.padEnd(255, 'x'))
        .send(injuryReferralBody(patientId, pt.id))
        .expect(201);
      expect(await countRows(sql, 'referrals')).toBe(before + 1);
    });

    it('a create that fails a business rule leaves the key free for a corrected retry', async () => {
      const key = `create-${Date.now()}-e`;
      const bad = await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .set('Idempotency-Key', key)
        .send(injuryReferralBody(patientId, pt.id, { redFlags: ['fever'] }));
      expectProblem(bad, 422, 'red_flags_require_urgent');
      const retry = await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .set('Idempotency-Key', key)
        .send(injuryReferralBody(patientId, pt.id, { redFlags: ['fever'], priority: 'urgent' }));
      expect(retry.status).toBe(201);
      expect(retry.body.priority).toBe('urgent');
    });

    it('bounds only the wait for the key: a repeat gets 409 with Retry-After, the first request finishes however long its work waits', async () => {
      const key = `create-${Date.now()}-f`;
      const patient = (await createPatient(t.http, lmt)).id;
      // Someone holds the patient row: the create's insert waits on it (its foreign key) past the 5 s.
      const holder = new Client({ connectionString: t.database.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM patients WHERE id = $1 FOR UPDATE', [patient]);
        const body = injuryReferralBody(patient, pt.id);
        const first = t.http
          .post('/api/v1/referrals')
          .set(lmt.auth)
          .set('Idempotency-Key', key)
          .send(body)
          .then((r) => r);
        await someoneWaitsOnALock(sql, 'the create');
        const repeat = await t.http.post('/api/v1/referrals').set(lmt.auth).set('Idempotency-Key', key).send(body);
        expectProblem(repeat, 409, 'idempotency_in_progress');
        expect(repeat.headers['retry-after']).toBe('1');
        await holder.query('COMMIT');
        expect((await first).status).toBe(201);
      } finally {
        await holder.end();
      }
      expect(await countRows(sql, 'referrals', 'patient_id = $1', [patient])).toBe(1);
    });
  });

  describe('Idempotency-Key on POST /patients and POST /referrals/:id/messages', () => {
    const patientBody = (lastName: string) => ({
      firstName: 'Robin',
      lastName,
      dateOfBirth: '1984-02-03',
      preferredContact: 'phone',
      phone: '+1 512 555 0142',
      consents: [{ scope: 'referral_sharing' }],
    });

    it('a double click with one key adds the patient once (and their consent once); another body is 422', async () => {
      const key = `patient-${Date.now()}`;
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.http.post('/api/v1/patients').set(lmt.auth).set('Idempotency-Key', key).send(patientBody('Keyed')),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(5).fill(201));
      expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
      expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(4);
      expect(await countRows(sql, 'patients', `last_name = 'Keyed'`)).toBe(1);
      expect(await countRows(sql, 'patient_consents', 'patient_id = $1', [answers[0].body.id])).toBe(1);
      const other = await t.http.post('/api/v1/patients').set(lmt.auth).set('Idempotency-Key', key).send(patientBody('Other'));
      expectProblem(other, 422, 'idempotency_key_reused');
      expect(await countRows(sql, 'patients', `last_name = 'Other'`)).toBe(0);
      // The key is the caller's: a colleague's request with the same key is theirs.
      await t.http
        .post('/api/v1/patients')
        .set(lmtColleague.auth)
        .set('Idempotency-Key', key)
        .send(patientBody('Keyed'))
        .expect(201);
      expect(await countRows(sql, 'patients', `last_name = 'Keyed'`)).toBe(2);
      const bad = await t.http.post('/api/v1/patients').set(lmt.auth).set('Idempotency-Key', 'a b').send(patientBody('Spaced'));
      expectProblem(bad, 400, 'validation_failed');
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    });

    it('a retried message with one key is posted once (one event, one notification); a key is one request only', async () => {
      const sent = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'sent');
      const key = `message-${Date.now()}`;
      const post = (referralId: string, body: string) =>
        t.http.post(`/api/v1/referrals/${referralId}/messages`).set(lmt.auth).set('Idempotency-Key', key).send({ body });
      const answers = await Promise.all(Array.from({ length: 5 }, () => post(sent.id, 'See you Tuesday')));
      expect(answers.map((r) => r.status)).toEqual(Array(5).fill(201));
      expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
      expect(await countRows(sql, 'referral_events', `referral_id = $1 AND type = 'message'`, [sent.id])).toBe(1);
      expect(await countRows(sql, 'outbox_events', `referral_id = $1 AND type = 'referral.message'`, [sent.id])).toBe(1);
      // The same key for another message, or for the same text on another referral, is a reuse.
      expectProblem(await post(sent.id, 'Another text'), 422, 'idempotency_key_reused');
      const another = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'sent');
      expectProblem(await post(another.id, 'See you Tuesday'), 422, 'idempotency_key_reused');
      // Without a key, the same text twice is two messages, as meant.
      for (let i = 0; i < 2; i++) {
        await t.http.post(`/api/v1/referrals/${sent.id}/messages`).set(lmt.auth).send({ body: 'ok' }).expect(201);
      }
      expect(await countRows(sql, 'referral_events', `referral_id = $1 AND type = 'message'`, [sent.id])).toBe(3);
    });
  });

  it('5 concurrent grants of the same consent scope leave one active consent, audited once', async () => {
    const patient = await createPatient(t.http, lmt, {}, false);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.http.post(`/api/v1/patients/${patient.id}/consents`).set(lmt.auth).send({ scope: 'referral_sharing' }),
      ),
    );
    // One grant made it (201); the others found it active (200).
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    expect(answers[0].body).toMatchObject({ scope: 'referral_sharing', active: true, revokedAt: null });
    expect(
      await countRows(sql, 'patient_consents', `patient_id = $1 AND scope = 'referral_sharing' AND revoked_at IS NULL`, [
        patient.id,
      ]),
    ).toBe(1);
    expect(await countRows(sql, 'audit_events', `action = 'consent.grant' AND resource_id = $1`, [patient.id])).toBe(1);
    const read = await t.http.get(`/api/v1/patients/${patient.id}`).set(lmt.auth).expect(200);
    expect(read.body.consents.filter((c: { active: boolean }) => c.active)).toHaveLength(1);
  });
});
