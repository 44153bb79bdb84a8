import { ReferralTimers } from '@referloop/referrals';
import { DataSource } from 'typeorm';
import { actOk, createPatient, createReferral, inDays, injuryReferralBody } from './support/referral-helpers';
import { eventually } from './support/sinks';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

/**
 * Reminders, escalations, expiry and auto-close through the real worker's job scheduler, with
 * durations shortened by configuration (defaults are 48 h / 96 h / 14 d / 14 d).
 */
describe('referral timers', () => {
  let t: TestApp;
  let massage: TestClinic;
  let physio: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp(
      {
        // Wide enough apart that a second's stall of a loaded machine between two requests of a test
        // does not let a timer fire in between.
        REMINDER_AFTER: '2s',
        ESCALATE_AFTER: '3s',
        EXPIRE_AFTER: '5s',
        AUTO_CLOSE_AFTER: '2s',
        TIMER_SWEEP_INTERVAL: '250ms',
        OUTBOX_SWEEP_INTERVAL: '250ms',
      },
      { worker: true },
    );
    massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
  });
  afterAll(() => t.close());

  const timeline = async (id: string, user: SignedInUser = lmt) =>
    (await t.http.get(`/api/v1/referrals/${id}/events`).set(user.auth).expect(200)).body.items as {
      type: string;
      actorId: string | null;
    }[];
  const typesOf = async (id: string) => (await timeline(id)).map((e) => e.type);
  const inbox = async (user: SignedInUser) =>
    (await t.http.get('/api/v1/notifications').set(user.auth).expect(200)).body.items as { type: string; referralId: string }[];

  async function sentReferral() {
    const patient = await createPatient(t.http, lmt);
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    return actOk(t.http, lmt, draft, 'send');
  }

  it('reminds once, escalates once, then expires an unanswered referral and tells everyone concerned', async () => {
    const referral = await sentReferral();
    await eventually(async () => (await typesOf(referral.id)).includes('expired'), 'expiry', 20_000);
    const types = await typesOf(referral.id);
    // Many scheduler runs happened: still exactly one of each.
    expect(types.filter((x) => x === 'reminder_sent')).toHaveLength(1);
    expect(types.filter((x) => x === 'escalated')).toHaveLength(1);
    expect(types.indexOf('reminder_sent')).toBeLessThan(types.indexOf('escalated'));
    const expired = (await timeline(referral.id)).find((e) => e.type === 'expired');
    expect(expired?.actorId).toBeNull();

    const current = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    expect(current.body.status).toBe('expired');

    await eventually(
      async () => (await inbox(pt)).some((n) => n.referralId === referral.id && n.type === 'reminder_sent'),
      'reminder to the recipient',
    );
    await eventually(
      async () => (await inbox(physio.admin)).some((n) => n.referralId === referral.id && n.type === 'escalated'),
      'escalation to the recipient clinic admin',
    );
    await eventually(
      async () => (await inbox(lmt)).some((n) => n.referralId === referral.id && n.type === 'escalated'),
      'note to the sender',
    );
    await eventually(
      async () => (await inbox(lmt)).some((n) => n.referralId === referral.id && n.type === 'expired'),
      'expiry notice to the sender',
    );

    // An expired referral can be redirected.
    const patientId = current.body.patientId;
    await t.http
      .post('/api/v1/referrals')
      .set(lmt.auth)
      .send(injuryReferralBody(patientId, pt.id, { replacesId: referral.id }))
      .expect(201);
  });

  it('does not count time in info_requested toward the response SLA', async () => {
    let referral = await sentReferral();
    referral = await actOk(t.http, pt, referral, 'request-info', { reason: 'Which shoulder, and since when?' });
    // Well past the expiry time: still waiting for information, no reminder.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(await typesOf(referral.id)).not.toContain('reminder_sent');
    const waiting = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    expect(waiting.body.status).toBe('info_requested');

    await actOk(t.http, lmt, waiting.body, 'provide-info', { note: 'Left shoulder, since a fall ten days ago' });
    // The clock runs again from where it stopped.
    await eventually(async () => (await typesOf(referral.id)).includes('reminder_sent'), 'reminder after the pause', 10_000);
  }, 40_000);

  it('does nothing for a referral that was answered in time', async () => {
    let referral = await sentReferral();
    referral = await actOk(t.http, pt, referral, 'accept');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const types = await typesOf(referral.id);
    expect(types).not.toContain('reminder_sent');
    expect(types).not.toContain('escalated');
    expect(types[types.length - 1]).toBe('accepted');
  });

  it('auto-closes an outcome the sender never acknowledged', async () => {
    let referral = await sentReferral();
    referral = await actOk(t.http, pt, referral, 'accept');
    referral = await actOk(t.http, pt, referral, 'schedule', { appointmentAt: inDays(1) });
    referral = await actOk(t.http, pt, referral, 'start-care');
    referral = await actOk(t.http, pt, referral, 'send-outcome', { outcome: { summary: 'Resolved' } });
    await eventually(async () => (await typesOf(referral.id)).includes('auto_closed'), 'auto-close', 15_000);
    const closed = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    expect(closed.body.status).toBe('closed');
    expect((await typesOf(referral.id)).filter((x) => x === 'auto_closed')).toHaveLength(1);
  });
});

/**
 * The response clock with an injected `now` (no worker: the test runs the timers itself) and the
 * default durations (48 h reminder, 96 h escalation, 14 d expiry).
 */
describe('referral timers with an injected clock', () => {
  let t: TestApp;
  let lmt: SignedInUser;
  let pt: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    const massage = await registerClinic(t.http, { name: 'Harbour Massage' });
    const physio = await registerClinic(t.http, { name: 'Harbour Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
  });
  afterAll(() => t.close());

  const HOUR = 3600_000;
  const DAY = 24 * HOUR;
  const MINUTE = 60_000;

  it('a pause of three days in info_requested, once answered, moves the reminder, escalation and expiry three days later', async () => {
    const patient = await createPatient(t.http, lmt);
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    let referral = await actOk(t.http, lmt, draft, 'send');
    referral = await actOk(t.http, pt, referral, 'request-info', { reason: 'Which side?' });
    // The referral was sent three days ago and has waited for information ever since.
    const db = t.app.get(DataSource);
    await db.query(
      `UPDATE referrals SET sent_at = sent_at - interval '3 days', sla_paused_at = sla_paused_at - interval '3 days' WHERE id = $1`,
      [referral.id],
    );
    const waiting = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    await actOk(t.http, lmt, waiting.body, 'provide-info', { note: 'The left side' });
    const [{ sent_at: sentAt }] = await db.query<{ sent_at: Date }[]>(`SELECT sent_at FROM referrals WHERE id = $1`, [
      referral.id,
    ]);

    const timers = t.app.get(ReferralTimers);
    const settings = t.config.timers;
    const runAt = (msAfterSending: number) => timers.run(new Date(sentAt.getTime() + msAfterSending), settings);
    const pause = 3 * DAY;

    expect(await runAt(pause + settings.reminderAfterMs - MINUTE)).toMatchObject({ reminded: 0, escalated: 0, expired: 0 });
    expect(await runAt(pause + settings.reminderAfterMs + MINUTE)).toMatchObject({ reminded: 1, escalated: 0, expired: 0 });
    expect(await runAt(pause + settings.escalateAfterMs - MINUTE)).toMatchObject({ reminded: 0, escalated: 0, expired: 0 });
    expect(await runAt(pause + settings.escalateAfterMs + MINUTE)).toMatchObject({ reminded: 0, escalated: 1, expired: 0 });
    expect(await runAt(pause + settings.expireAfterMs - MINUTE)).toMatchObject({ expired: 0 });
    expect(await runAt(pause + settings.expireAfterMs + MINUTE)).toMatchObject({ expired: 1 });

    const expired = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    expect(expired.body.status).toBe('expired');
  });
  it('expires a referral while another transaction references it (a notification being fanned out holds a key-share lock on it)', async () => {
    const patient = await createPatient(t.http, lmt);
    const referral = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    const db = t.app.get(DataSource);
    const [{ sent_at: sentAt }] = await db.query<{ sent_at: Date }[]>(`SELECT sent_at FROM referrals WHERE id = $1`, [
      referral.id,
    ]);
    const holder = db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      // The lock an INSERT of a row with a foreign key to this referral takes, held open.
      await holder.query(`SELECT 1 FROM referrals WHERE id = $1 FOR KEY SHARE`, [referral.id]);
      const run = await t.app
        .get(ReferralTimers)
        .run(new Date(sentAt.getTime() + t.config.timers.expireAfterMs + MINUTE), t.config.timers);
      expect(run.expired).toBe(1);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    const expired = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    expect(expired.body.status).toBe('expired');
  });

  it('writes no reminder for a referral being accepted at that moment, before or after the accept commits', async () => {
    const patient = await createPatient(t.http, lmt);
    const referral = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    const db = t.app.get(DataSource);
    const [{ sent_at: sentAt }] = await db.query<{ sent_at: Date }[]>(`SELECT sent_at FROM referrals WHERE id = $1`, [
      referral.id,
    ]);
    const timers = t.app.get(ReferralTimers);
    const dueAt = new Date(sentAt.getTime() + t.config.timers.escalateAfterMs + MINUTE);
    const accepting = db.createQueryRunner();
    await accepting.connect();
    await accepting.startTransaction();
    try {
      // An accept in flight: its update holds the row, not yet committed.
      await accepting.query(`UPDATE referrals SET status = 'accepted', version = version + 1 WHERE id = $1`, [referral.id]);
      expect(await timers.run(dueAt, t.config.timers)).toMatchObject({ reminded: 0, escalated: 0 });
      await accepting.commitTransaction();
    } finally {
      if (accepting.isTransactionActive) await accepting.rollbackTransaction();
      await accepting.release();
    }
    expect(await timers.run(dueAt, t.config.timers)).toMatchObject({ reminded: 0, escalated: 0 });
    const events = await db.query<{ type: string }[]>(`SELECT type FROM referral_events WHERE referral_id = $1`, [referral.id]);
    expect(events.map((e) => e.type).sort()).toEqual(['created', 'sent']);
  });

  it('urgent referrals run on their own, shorter clock; a routine one sent at the same time does not', async () => {
    const patient = await createPatient(t.http, lmt);
    const urgent = await actOk(
      t.http,
      lmt,
      await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id, { priority: 'urgent' })),
      'send',
    );
    const routine = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    const db = t.app.get(DataSource);
    const [{ sent_at: sentAt }] = await db.query<{ sent_at: Date }[]>(
      `SELECT max(sent_at) AS sent_at FROM referrals WHERE id = ANY($1)`,
      [[urgent.id, routine.id]],
    );
    const settings = t.config.timers;
    expect(settings).toMatchObject({
      urgentReminderAfterMs: 4 * HOUR,
      urgentEscalateAfterMs: 24 * HOUR,
      urgentExpireAfterMs: 3 * DAY,
    });
    const timers = t.app.get(ReferralTimers);
    const runAt = (ms: number) => timers.run(new Date(sentAt.getTime() + ms), settings);
    const typesOf = async (id: string) =>
      ((await t.http.get(`/api/v1/referrals/${id}/events`).set(lmt.auth).expect(200)).body.items as { type: string }[]).map(
        (e) => e.type,
      );

    expect(await runAt(4 * HOUR - MINUTE)).toMatchObject({ reminded: 0 });
    expect(await runAt(4 * HOUR + MINUTE)).toMatchObject({ reminded: 1, escalated: 0 });
    expect(await runAt(24 * HOUR + MINUTE)).toMatchObject({ reminded: 0, escalated: 1, expired: 0 });
    expect(await runAt(3 * DAY + MINUTE)).toMatchObject({ expired: 1 });
    expect(await typesOf(urgent.id)).toEqual(expect.arrayContaining(['reminder_sent', 'escalated', 'expired']));
    // The routine referral only got its 48 h reminder by day three, and is still waiting.
    expect(await typesOf(routine.id)).toEqual(['created', 'sent', 'reminder_sent']);
  });

  it('works off a backlog of more than a batch in one run: each due referral reminded, escalated and expired once', async () => {
    const patient = await createPatient(t.http, lmt);
    const referral = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    const db = t.app.get(DataSource);
    // 1,200 more sent at the same instant (a burst: an import, a worker back after an outage).
    const copies = await db.query<{ id: string }[]>(
      `INSERT INTO referrals (kind, status, version, patient_id, sender_id, sender_clinic_id, recipient_id, recipient_clinic_id,
                              created_by, priority, reason, body_regions, observations, pain_level, sent_at, created_at, updated_at)
       SELECT kind, status, version, patient_id, sender_id, sender_clinic_id, recipient_id, recipient_clinic_id,
              created_by, priority, reason, body_regions, observations, pain_level, sent_at, created_at, updated_at
         FROM referrals, generate_series(1, 1200) WHERE id = $1
       RETURNING id`,
      [referral.id],
    );
    const ids = [referral.id, ...copies.map((c) => c.id)];
    const [{ sent_at: sentAt }] = await db.query<{ sent_at: Date }[]>(`SELECT sent_at FROM referrals WHERE id = $1`, [
      referral.id,
    ]);
    const timers = t.app.get(ReferralTimers);
    const settings = t.config.timers;
    const counts = async () =>
      Object.fromEntries(
        (
          await db.query<{ type: string; events: number; referrals: number; outbox: number }[]>(
            `SELECT e.type, count(*)::int AS events, count(DISTINCT e.referral_id)::int AS referrals, count(o.id)::int AS outbox
               FROM referral_events e LEFT JOIN outbox_events o ON o.referral_event_id = e.id
              WHERE e.referral_id = ANY($1) AND e.type IN ('reminder_sent', 'escalated', 'expired') GROUP BY e.type`,
            [ids],
          )
        ).map(({ type, ...n }) => [type, n]),
      );
    const once = { events: ids.length, referrals: ids.length, outbox: ids.length };

    // Due for the reminder and the escalation: one run sends them all, the next finds nothing left.
    const escalateAt = new Date(sentAt.getTime() + settings.escalateAfterMs + MINUTE);
    await timers.run(escalateAt, settings);
    expect(await counts()).toEqual({ reminder_sent: once, escalated: once });
    expect(await timers.run(escalateAt, settings)).toMatchObject({ reminded: 0, escalated: 0, expired: 0 });

    const expireAt = new Date(sentAt.getTime() + settings.expireAfterMs + MINUTE);
    await timers.run(expireAt, settings);
    expect(await counts()).toEqual({ reminder_sent: once, escalated: once, expired: once });
    const statuses = await db.query<{ status: string; n: number }[]>(
      `SELECT status, count(*)::int AS n FROM referrals WHERE id = ANY($1) GROUP BY status`,
      [ids],
    );
    expect(statuses).toEqual([{ status: 'expired', n: ids.length }]);
  });
});
