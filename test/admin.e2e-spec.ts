import { EXPORT_COLUMNS, startOfDay } from '@referloop/admin';
import { isoInTimeZone } from '@referloop/common';
import { Client } from 'pg';
import {
  actOk,
  actionBody,
  createPatient,
  createReferral,
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
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

const HOUR = 3_600_000;
const CLINIC_A_NAME = 'Sunrise, "Massage" & Co';
const CLINIC_B_NAME = '=HYPERLINK("http://evil.test","x")';
const OUTCOME_SUMMARY = 'Resolved, "mostly"\nFollow up in 2 weeks';

/**
 * The clinic admin's views: metrics, overdue list, audit log and CSV export.
 *
 * Timers are short (reminder 1 h, escalation 2 h) and no worker runs, so nothing expires or is
 * escalated behind the test's back. Durations are made deterministic by backdating: the test's
 * own database session sets `session_replication_role = replica`, which switches off the
 * append-only trigger on referral_events for that session only, and moves each timeline event
 * (and the referral's created_at / sent_at / SLA columns) to whole-hour offsets from a base
 * instant 10 days ago. The one `expired` referral is put there by the shared helper's direct SQL
 * status update (the expiry timer belongs to the worker, which is not running here).
 */
describe('admin API', () => {
  let t: TestApp;
  let sql: Client;
  let clinicA: TestClinic;
  let clinicB: TestClinic;
  let clinicC: TestClinic;
  let a1: SignedInUser;
  let a2: SignedInUser;
  let b1: SignedInUser;
  let c1: SignedInUser;
  const base = new Date(Date.now() - 10 * 24 * HOUR);
  const at = (hours: number) => new Date(base.getTime() + hours * HOUR);
  const ago = (ms: number) => new Date(Date.now() - ms);
  const r: Record<string, { id: string; version: number }> = {};

  /** Moves a referral's timeline to `base + offset hours` per event type (first event of each type). */
  async function backdate(id: string, offsets: Record<string, number>, columns: Record<string, Date | number | null> = {}) {
    await sql.query(`UPDATE referrals SET created_at = $2 WHERE id = $1`, [id, at(-1)]);
    await sql.query(`UPDATE referral_events SET occurred_at = $2 WHERE referral_id = $1 AND type = 'created'`, [id, at(-1)]);
    for (const [type, hours] of Object.entries(offsets)) {
      const { rowCount } = await sql.query(`UPDATE referral_events SET occurred_at = $3 WHERE referral_id = $1 AND type = $2`, [
        id,
        type,
        at(hours),
      ]);
      if (rowCount !== 1) throw new Error(`referral ${id} has ${rowCount} ${type} events`);
    }
    if ('sent' in offsets) await sql.query(`UPDATE referrals SET sent_at = $2 WHERE id = $1`, [id, at(offsets.sent)]);
    for (const [column, value] of Object.entries(columns)) {
      await sql.query(`UPDATE referrals SET ${column} = $2 WHERE id = $1`, [id, value]);
    }
  }

  beforeAll(async () => {
    t = await startTestApp({
      REMINDER_AFTER: '1h',
      ESCALATE_AFTER: '2h',
      URGENT_REMINDER_AFTER: '20m',
      URGENT_ESCALATE_AFTER: '40m',
    });
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    await sql.query(`SET session_replication_role = replica`);

    clinicA = await registerClinic(t.http, { name: CLINIC_A_NAME });
    clinicB = await registerClinic(t.http, { name: CLINIC_B_NAME });
    clinicC = await registerClinic(t.http, { name: 'Other Clinic' });
    a1 = await addPractitioner(t.http, clinicA, 'massage_therapist', { fullName: 'Alex Anders' });
    a2 = await addPractitioner(t.http, clinicA, 'massage_therapist', { fullName: 'Blair Brooks' });
    b1 = await addPractitioner(t.http, clinicB, 'physical_therapist', { fullName: 'Pat Physio' });
    c1 = await addPractitioner(t.http, clinicC, 'massage_therapist', { fullName: 'Casey Other' });

    const patientA1 = await createPatient(t.http, a1, { lastName: '+cmd', firstName: 'Robin' });
    const patientA2 = await createPatient(t.http, a2);
    const patientB = await createPatient(t.http, b1);
    const patientC = await createPatient(t.http, c1);
    const injury = { sender: a1, recipient: b1 };

    // r1: closed with an outcome. Accepted 4 h after sending, first appointment booked at 10 h.
    let ref = await createReferral(t.http, a1, injuryReferralBody(patientA1.id, b1.id));
    for (const [user, action, body] of [
      [a1, 'send', {}],
      [b1, 'accept', {}],
      [b1, 'schedule', actionBody('schedule')],
      [b1, 'start-care', {}],
      [b1, 'send-outcome', { outcome: { summary: OUTCOME_SUMMARY } }],
      [a1, 'close', {}],
    ] as const) {
      ref = await actOk(t.http, user, ref, action, body);
    }
    r.closed = ref;
    await backdate(ref.id, { sent: 0, accepted: 4, scheduled: 10, care_started: 30, outcome_sent: 40, closed: 41 });

    // r2: 2 h in info_requested, accepted 8 h after sending (6 h of response time), booked at 20 h.
    ref = await createReferral(t.http, a1, injuryReferralBody(patientA1.id, b1.id));
    ref = await actOk(t.http, a1, ref, 'send');
    ref = await actOk(t.http, b1, ref, 'request-info', actionBody('request-info'));
    ref = await actOk(t.http, a1, ref, 'provide-info', actionBody('provide-info'));
    ref = await actOk(t.http, b1, ref, 'accept');
    ref = await actOk(t.http, b1, ref, 'schedule', { appointmentAt: inDays(2) });
    r.scheduledAfterPause = ref;
    await backdate(
      ref.id,
      { sent: 0, info_requested: 1, info_provided: 3, accepted: 8, scheduled: 20 },
      { sla_paused_ms: 2 * HOUR },
    );

    r.declined = await referralIn(t.http, { sender: a2, recipient: b1 }, patientA2.id, 'declined');
    await backdate(r.declined.id, { sent: 0, declined: 5 });

    ref = await createReferral(t.http, a2, injuryReferralBody(patientA2.id, b1.id));
    ref = await actOk(t.http, a2, ref, 'send');
    r.cancelled = await actOk(t.http, a2, ref, 'cancel', actionBody('cancel'));
    await backdate(r.cancelled.id, { sent: 0, cancelled: 2 });

    // Expired: set by the helper's direct status update (no worker here), from `sent`.
    r.expired = await referralIn(t.http, injury, patientA1.id, 'expired', sql);
    await backdate(r.expired.id, { sent: 0 });

    // Open, sent 3 h ago: past the escalation threshold (2 h): overdue.
    r.overdue = await referralIn(t.http, injury, patientA1.id, 'sent');
    await backdate(r.overdue.id, {}, { sent_at: ago(3 * HOUR) });

    r.draft = await createReferral(t.http, a2, injuryReferralBody(patientA2.id, b1.id));
    await backdate(r.draft.id, {});

    // Sent 5 h ago, information asked for 1 h ago: 4 h of response time, past the escalation, yet not
    // overdue while the sender owes the answer (the clock is paused: it would stay overdue for good).
    ref = await createReferral(t.http, a2, injuryReferralBody(patientA2.id, b1.id));
    ref = await actOk(t.http, a2, ref, 'send');
    r.paused = await actOk(t.http, b1, ref, 'request-info', actionBody('request-info'));
    await backdate(r.paused.id, {}, { sent_at: ago(5 * HOUR), sla_paused_at: ago(1 * HOUR), sla_paused_ms: 0 });

    // Clinic A as recipient: a maintenance referral from B, received 90 min after sending (past the
    // reminder, not the escalation), and a draft of B's that A must not see.
    ref = await createReferral(t.http, b1, maintenanceReferralBody(patientB.id, a2.id));
    ref = await actOk(t.http, b1, ref, 'send');
    r.received = await actOk(t.http, a2, ref, 'acknowledge');
    await backdate(r.received.id, {}, { sent_at: ago(90 * 60_000) });
    r.incomingDraft = await createReferral(t.http, b1, maintenanceReferralBody(patientB.id, a1.id));
    await backdate(r.incomingDraft.id, {});

    // Clinic C's referral to B: nothing of it may show up for clinic A.
    r.other = await referralIn(t.http, { sender: c1, recipient: b1 }, patientC.id, 'accepted');
    await backdate(r.other.id, { sent: 0, accepted: 1 });
  });

  afterAll(async () => {
    await sql?.end();
    await t?.close();
  });

  const metrics = (user: SignedInUser, query: Record<string, string> = {}) =>
    t.http.get('/api/v1/admin/metrics').query(query).set(user.auth);

  describe('GET /admin/metrics', () => {
    const zeroStatuses = {
      draft: 0,
      sent: 0,
      received: 0,
      info_requested: 0,
      accepted: 0,
      scheduled: 0,
      in_care: 0,
      outcome_sent: 0,
      closed: 0,
      declined: 0,
      cancel_requested: 0,
      cancelled: 0,
      expired: 0,
    };

    it('counts, rates, overdue and medians for the whole clinic, exactly', async () => {
      const res = await metrics(clinicA.admin).expect(200);
      expect(res.body.overdueAfterSeconds).toBe(7200);
      expect(new Date(res.body.to).getTime() - new Date(res.body.from).getTime()).toBe(30 * 24 * HOUR);
      expect(res.body.clinic).toEqual({
        total: 9,
        // All but the draft.
        sentCount: 8,
        byStatus: {
          ...zeroStatuses,
          closed: 1,
          scheduled: 1,
          declined: 1,
          cancelled: 1,
          expired: 1,
          sent: 1,
          draft: 1,
          info_requested: 1,
          received: 1,
        },
        // closed, scheduled, declined, cancelled after sending, expired
        decided: 5,
        accepted: 2,
        closedLoop: 1,
        closedLoopRate: 0.2,
        leakage: { count: 3, rate: 0.6, declined: 1, expired: 1, cancelled: 1 },
        overdue: 1,
        // (4 h + (8 h - 2 h paused)) / 2
        medianTimeToAcceptSeconds: 5 * 3600,
        // (10 h + 20 h) / 2
        medianTimeToFirstAppointmentSeconds: 15 * 3600,
        // No outcome here gave a discharge pain level.
        medianPainChange: null,
      });
    });

    it('splits the clinic into its sent and received sides (drafts are not received)', async () => {
      const res = await metrics(clinicA.admin).expect(200);
      expect(res.body.sent).toMatchObject({
        total: 8,
        decided: 5,
        overdue: 1,
        byStatus: { draft: 1, received: 0, info_requested: 1 },
      });
      expect(res.body.received).toMatchObject({
        total: 1,
        byStatus: { ...zeroStatuses, received: 1 },
        decided: 0,
        closedLoopRate: null,
        leakage: { count: 0, rate: null, declined: 0, expired: 0, cancelled: 0 },
        overdue: 0,
        medianTimeToAcceptSeconds: null,
        medianTimeToFirstAppointmentSeconds: null,
      });
    });

    it('gives the same figures per practitioner of the clinic, by name', async () => {
      const res = await metrics(clinicA.admin).expect(200);
      const practitioners = res.body.practitioners as {
        practitionerId: string;
        fullName: string;
        sent: Record<string, unknown>;
        received: Record<string, unknown>;
      }[];
      expect(practitioners.map((p) => [p.practitionerId, p.fullName])).toEqual([
        [a1.id, 'Alex Anders'],
        [a2.id, 'Blair Brooks'],
      ]);
      const [alex, blair] = practitioners;
      expect(alex.sent).toEqual({
        total: 4,
        sentCount: 4,
        byStatus: { ...zeroStatuses, closed: 1, scheduled: 1, expired: 1, sent: 1 },
        decided: 3,
        accepted: 2,
        closedLoop: 1,
        closedLoopRate: 0.3333,
        leakage: { count: 1, rate: 0.3333, declined: 0, expired: 1, cancelled: 0 },
        overdue: 1,
        medianTimeToAcceptSeconds: 5 * 3600,
        medianTimeToFirstAppointmentSeconds: 15 * 3600,
        medianPainChange: null,
      });
      // B's draft addressed to Alex is not received yet.
      expect(alex.received).toMatchObject({ total: 0, medianTimeToAcceptSeconds: null });
      expect(blair.sent).toMatchObject({
        total: 4,
        sentCount: 3,
        byStatus: { ...zeroStatuses, declined: 1, cancelled: 1, draft: 1, info_requested: 1 },
        decided: 2,
        accepted: 0,
        closedLoopRate: 0,
        leakage: { count: 2, rate: 1, declined: 1, expired: 0, cancelled: 1 },
        overdue: 0,
        medianTimeToAcceptSeconds: null,
      });
      expect(blair.received).toMatchObject({ total: 1, byStatus: { received: 1 } });
    });

    it('sentCount leaves out drafts, also a draft cancelled before it was sent', async () => {
      const solo = await registerClinic(t.http, { name: 'Solo Sender' });
      const therapist = await addPractitioner(t.http, solo, 'massage_therapist');
      const physio = await addPractitioner(t.http, await registerClinic(t.http, { name: 'Solo Physio' }), 'physical_therapist');
      const patient = await createPatient(t.http, therapist);
      const body = injuryReferralBody(patient.id, physio.id);
      await actOk(t.http, therapist, await createReferral(t.http, therapist, body), 'send');
      await actOk(t.http, therapist, await createReferral(t.http, therapist, body), 'cancel', { reason: 'Not needed' });
      await createReferral(t.http, therapist, body);
      const m = (await metrics(solo.admin).expect(200)).body;
      expect(m.sent).toMatchObject({ total: 3, sentCount: 1, byStatus: { sent: 1, cancelled: 1, draft: 1 } });
      expect(m.practitioners[0].sent).toMatchObject({ total: 3, sentCount: 1 });
    });

    it("never counts another clinic's referrals; each clinic sees its own", async () => {
      const b = (await metrics(clinicB.admin).expect(200)).body;
      // Received: A's 7 sent ones + C's accepted one; sent: its received-by-A one and its draft.
      expect(b.received.total).toBe(8);
      expect(b.sent.total).toBe(2);
      expect(b.clinic.total).toBe(10);
      expect(b.practitioners.map((p: { practitionerId: string }) => p.practitionerId)).toEqual([b1.id]);
      const c = (await metrics(clinicC.admin).expect(200)).body;
      expect(c.clinic).toMatchObject({ total: 1, accepted: 1, medianTimeToAcceptSeconds: 3600 });
      expect(c.practitioners.map((p: { practitionerId: string }) => p.practitionerId)).toEqual([c1.id]);
    });

    it('counts referrals created in [from, to)', async () => {
      const iso = (d: Date) => d.toISOString();
      expect((await metrics(clinicA.admin, { from: iso(at(-2)), to: iso(at(0)) }).expect(200)).body.clinic.total).toBe(9);
      // `to` is exclusive: every referral here was created at base - 1 h.
      expect((await metrics(clinicA.admin, { from: iso(at(-2)), to: iso(at(-1)) }).expect(200)).body.clinic.total).toBe(0);
      expect((await metrics(clinicA.admin, { from: iso(at(-1)), to: iso(at(-1)) }).expect(200)).body.clinic.total).toBe(0);
      const recent = (await metrics(clinicA.admin, { from: new Date(Date.now() - 24 * HOUR).toISOString() }).expect(200)).body;
      expect(recent.clinic).toMatchObject({ total: 0, closedLoopRate: null, medianTimeToAcceptSeconds: null });
      // Offsets other than Z are understood.
      expect((await metrics(clinicA.admin, { from: '2020-01-01T00:00:00-06:00' }).expect(200)).body.from).toBe(
        '2020-01-01T06:00:00.000Z',
      );
    });

    it('takes calendar dates as days in the clinic zone, the `to` day included', async () => {
      const { body: clinic } = await t.http.get('/api/v1/clinics/me').set(clinicA.admin.auth).expect(200);
      const day = (d: Date) => isoInTimeZone(d, clinic.timezone).slice(0, 10);
      const created = at(-1);
      const window = await metrics(clinicA.admin, { from: day(created), to: day(created) }).expect(200);
      expect(window.body.clinic.total).toBe(9);
      expect(window.body.from).toBe(startOfDay(day(created), clinic.timezone).toISOString());
      // The next calendar date, not 24 h later: the clinic's fall-back day lasts 25 hours.
      const dayAfter = new Date(Date.parse(`${day(created)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      expect((await metrics(clinicA.admin, { from: dayAfter }).expect(200)).body.clinic.total).toBe(0);
      expectProblem(await metrics(clinicA.admin, { from: '2026-02-30' }), 400, 'validation_failed');
      // The audit log's window reads dates the same way (its events were written today).
      const audit = (query: object) => t.http.get('/api/v1/admin/audit-events').query(query).set(clinicA.admin.auth).expect(200);
      expect((await audit({ from: day(created), to: day(new Date()) })).body.items.length).toBeGreaterThan(0);
      expect((await audit({ from: day(created), to: day(created) })).body.items).toEqual([]);
    });

    it('answers 400 for a bad or reversed window', async () => {
      expectProblem(
        await metrics(clinicA.admin, { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }),
        400,
        'validation_failed',
      );
      const reversed = await metrics(clinicA.admin, { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' });
      expect(reversed.body.errors).toEqual([{ field: 'from', message: 'must not be after to' }]);
      expectProblem(await metrics(clinicA.admin, { from: '2026-03-01T00:00:00' }), 400, 'validation_failed');
      expectProblem(await metrics(clinicA.admin, { to: 'yesterday' }), 400, 'validation_failed');
      expectProblem(await metrics(clinicA.admin, { clinicId: clinicB.clinicId }), 400, 'validation_failed');
    });

    it.each([
      ['/api/v1/admin/metrics', { from: '1000-01-01' }, 'from'],
      ['/api/v1/admin/metrics', { to: '9999-12-31' }, 'to'],
      ['/api/v1/admin/audit-events', { from: '1000-01-01' }, 'from'],
      ['/api/v1/admin/referrals/export.csv', { to: '9999-12-31' }, 'to'],
      ['/api/v1/admin/metrics', { from: '0001-01-01T00:00:00Z' }, 'from'],
    ])('%s answers 400 for a date outside the years taken (%j), naming it', async (path, query, field) => {
      const res = await t.http.get(path).query(query).set(clinicA.admin.auth);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });
  });

  describe('access', () => {
    it.each([
      '/api/v1/admin/metrics',
      '/api/v1/admin/referrals/overdue',
      '/api/v1/admin/audit-events',
      '/api/v1/admin/referrals/export.csv',
    ])('%s is for clinic admins only (403 for practitioners, 401 without a token)', async (path) => {
      expectProblem(await t.http.get(path).set(a1.auth), 403, 'forbidden');
      expectProblem(await t.http.get(path).set(b1.auth), 403, 'forbidden');
      expectProblem(await t.http.get(path), 401, 'unauthenticated');
    });
  });

  describe('GET /admin/referrals/overdue', () => {
    const overdue = (user: SignedInUser, query: Record<string, string | number> = {}) =>
      t.http.get('/api/v1/admin/referrals/overdue').query(query).set(user.auth);

    it('lists open referrals past the reminder threshold, most overdue first, with their response time', async () => {
      const res = await overdue(clinicA.admin).expect(200);
      expect(res.body).toMatchObject({ reminderAfterSeconds: 3600, escalateAfterSeconds: 7200, nextCursor: null });
      const items = res.body.items as Record<string, unknown>[];
      // Not the paused one (30 min of response time), not the decided ones.
      expect(items.map((i) => i.id)).toEqual([r.overdue.id, r.received.id]);
      expect(items[0]).toMatchObject({
        status: 'sent',
        side: 'sent',
        escalationDue: true,
        sender: { id: a1.id, clinicName: CLINIC_A_NAME },
        recipient: { id: b1.id },
      });
      expect(items[1]).toMatchObject({
        status: 'received',
        side: 'received',
        escalationDue: false,
        sender: { id: b1.id, clinicName: CLINIC_B_NAME },
      });
      const asOf = new Date(res.body.asOf).getTime();
      const sentAt = (i: number) => new Date(items[i].sentAt as string).getTime();
      expect(items[0].elapsedSeconds).toBeCloseTo((asOf - sentAt(0)) / 1000, 0);
      expect(items[0].elapsedSeconds).toBeGreaterThanOrEqual(3 * 3600);
      expect(items[1].elapsedSeconds).toBeGreaterThanOrEqual(90 * 60);
      expect(items[1].elapsedSeconds).toBeLessThan(2 * 3600);
    });

    it('pages with a cursor that keeps the instant of the first page', async () => {
      const first = await overdue(clinicA.admin, { limit: 1 }).expect(200);
      expect(first.body.items.map((i: { id: string }) => i.id)).toEqual([r.overdue.id]);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await overdue(clinicA.admin, { limit: 1, cursor: first.body.nextCursor }).expect(200);
      expect(second.body.items.map((i: { id: string }) => i.id)).toEqual([r.received.id]);
      expect(second.body.asOf).toBe(first.body.asOf);
      expect(second.body.nextCursor).toBeNull();
    });

    it('filters by side', async () => {
      expect((await overdue(clinicA.admin, { box: 'sent' }).expect(200)).body.items.map((i: { id: string }) => i.id)).toEqual([
        r.overdue.id,
      ]);
      expect((await overdue(clinicA.admin, { box: 'received' }).expect(200)).body.items.map((i: { id: string }) => i.id)).toEqual(
        [r.received.id],
      );
    });

    it("shows the recipient clinic its side and never another clinic's referrals", async () => {
      const b = await overdue(clinicB.admin).expect(200);
      expect(b.body.items.map((i: { id: string; side: string }) => [i.id, i.side])).toEqual([
        [r.overdue.id, 'received'],
        [r.received.id, 'sent'],
      ]);
      expect((await overdue(clinicC.admin).expect(200)).body.items).toEqual([]);
    });

    it('answers 400 for a bad cursor, limit or box', async () => {
      expectProblem(await overdue(clinicA.admin, { cursor: 'nope' }), 400, 'validation_failed');
      const forged = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
      const uuid = r.overdue.id;
      expectProblem(
        await overdue(clinicA.admin, { cursor: forged(['overdue', '2026-03-01T00:00:00.000000Z', -1, uuid]) }),
        400,
        'validation_failed',
      );
      expectProblem(
        await overdue(clinicA.admin, { cursor: forged(['overdue', '2026-03-01T00:00:00.000000Z', 5, 'x']) }),
        400,
        'validation_failed',
      );
      expectProblem(
        await overdue(clinicA.admin, { cursor: forged(['overdue', 'yesterday', 5, uuid]) }),
        400,
        'validation_failed',
      );
      expectProblem(await overdue(clinicA.admin, { limit: 0 }), 400, 'validation_failed');
      expectProblem(await overdue(clinicA.admin, { limit: 101 }), 400, 'validation_failed');
      expectProblem(await overdue(clinicA.admin, { box: 'clinic' }), 400, 'validation_failed');
    });
  });

  describe('urgent referrals, with their own shorter timers', () => {
    it('are overdue, listed and counted, by the urgent thresholds: an urgent one 50 min without a decision is, a routine one not', async () => {
      const massage = await registerClinic(t.http, { name: 'Urgent Massage' });
      const physio = await registerClinic(t.http, { name: 'Urgent Physio' });
      const lmt = await addPractitioner(t.http, massage, 'massage_therapist');
      const pt = await addPractitioner(t.http, physio, 'physical_therapist');
      const patient = await createPatient(t.http, lmt);
      const urgentDraft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id, { priority: 'urgent' }));
      const urgent = await actOk(t.http, lmt, urgentDraft, 'send');
      const routine = await referralIn(t.http, { sender: lmt, recipient: pt }, patient.id, 'sent');
      for (const id of [urgent.id, routine.id]) await backdate(id, {}, { sent_at: ago(50 * 60_000) });

      const listed = await t.http.get('/api/v1/admin/referrals/overdue').set(massage.admin.auth).expect(200);
      expect(listed.body).toMatchObject({ urgentReminderAfterSeconds: 1200, urgentEscalateAfterSeconds: 2400 });
      expect(listed.body.items).toEqual([expect.objectContaining({ id: urgent.id, priority: 'urgent', escalationDue: true })]);
      const counted = await metrics(massage.admin).expect(200);
      expect(counted.body).toMatchObject({ overdueAfterSeconds: 7200, urgentOverdueAfterSeconds: 2400 });
      expect(counted.body.clinic.overdue).toBe(1);
    });
  });

  describe('GET /admin/referrals/export.csv', () => {
    it('streams an RFC 4180 CSV of the clinic referrals, neutralised against formulas, and audits the export', async () => {
      const res = await t.http.get('/api/v1/admin/referrals/export.csv').set(clinicA.admin.auth).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
      expect(res.headers['content-disposition']).toMatch(
        /^attachment; filename="referrals-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv"$/,
      );
      // Calendar dates name the file as asked, whatever the clinic's offset from UTC (another clinic: its own audit).
      const named = await t.http
        .get('/api/v1/admin/referrals/export.csv?from=2026-03-01&to=2026-03-31')
        .set(clinicC.admin.auth)
        .expect(200);
      expect(named.headers['content-disposition']).toBe('attachment; filename="referrals-2026-03-01-to-2026-03-31.csv"');
      const text = res.text;
      expect(text.endsWith('\r\n')).toBe(true);
      // Every line break outside a quoted field is CRLF.
      expect(
        text
          .replace(/"(?:[^"]|"")*"/g, '')
          .match(/\r?\n/g)
          ?.every((b) => b === '\r\n'),
      ).toBe(true);

      const [header, ...rows] = parseCsv(text);
      expect(header).toEqual([...EXPORT_COLUMNS]);
      expect(rows).toHaveLength(9);
      const col = (name: string) => header.indexOf(name);
      const byId = new Map(rows.map((row) => [row[col('id')], row]));
      expect(new Set(byId.keys())).toEqual(
        new Set(
          [r.closed, r.scheduledAfterPause, r.declined, r.cancelled, r.expired, r.overdue, r.draft, r.paused, r.received].map(
            (x) => x.id,
          ),
        ),
      );
      const closed = byId.get(r.closed.id)!;
      expect(closed[col('status')]).toBe('closed');
      expect(closed[col('sender_name')]).toBe('Alex Anders');
      expect(closed[col('sender_clinic')]).toBe(CLINIC_A_NAME);
      expect(closed[col('recipient_clinic')]).toBe(`'${CLINIC_B_NAME}`);
      expect(closed[col('patient_last_name')]).toBe("'+cmd");
      expect(closed[col('patient_first_name')]).toBe('Robin');
      expect(closed[col('body_regions')]).toBe('shoulder_left; upper_back');
      expect(closed[col('outcome_summary')]).toBe(OUTCOME_SUMMARY);
      expect(closed[col('created_at')]).toBe(at(-1).toISOString());
      expect(closed[col('sent_at')]).toBe(at(0).toISOString());
      expect(closed[col('closed_at')]).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(byId.get(r.draft.id)![col('sent_at')]).toBe('');
      // The raw text: quotes doubled, the formula cell quoted after its apostrophe.
      expect(text).toContain('"Sunrise, ""Massage"" & Co"');
      expect(text).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")"`);
      expect(text).toContain('"Resolved, ""mostly""\nFollow up in 2 weeks"');

      const audit = await t.http
        .get('/api/v1/admin/audit-events')
        .query({ action: 'referral.export' })
        .set(clinicA.admin.auth)
        .expect(200);
      expect(audit.body.items).toHaveLength(1);
      expect(audit.body.items[0]).toMatchObject({
        // Ids are UUIDs, audit events' too (the trail's sequence stays internal).
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        actorId: clinicA.admin.id,
        resourceType: 'referral',
        outcome: 'success',
        details: { rows: 9, completed: true },
      });
    });

    it('exports only the window asked for, and refuses a reversed one before streaming', async () => {
      const res = await t.http
        .get('/api/v1/admin/referrals/export.csv')
        .query({ from: new Date(Date.now() - HOUR).toISOString() })
        .set(clinicA.admin.auth)
        .expect(200);
      expect(parseCsv(res.text)).toEqual([[...EXPORT_COLUMNS]]);
      const reversed = await t.http
        .get('/api/v1/admin/referrals/export.csv')
        .query({ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' })
        .set(clinicA.admin.auth);
      expectProblem(reversed, 400, 'validation_failed');
    });

    it('gives the other side its own view of the same referrals', async () => {
      const res = await t.http.get('/api/v1/admin/referrals/export.csv').set(clinicC.admin.auth).expect(200);
      const [, ...rows] = parseCsv(res.text);
      expect(rows.map((row) => row[0])).toEqual([r.other.id]);
    });
  });

  describe('export and metrics beyond one batch', () => {
    it('streams every row once, oldest first, across batch boundaries and ties', async () => {
      const d = await registerClinic(t.http, { name: 'Bulk Massage' });
      const e = await registerClinic(t.http, { name: 'Bulk Physio' });
      const lmt = await addPractitioner(t.http, d, 'massage_therapist');
      const pt = await addPractitioner(t.http, e, 'physical_therapist');
      const ownPatient = await createPatient(t.http, lmt);
      const theirPatient = await createPatient(t.http, pt);
      // 600 sent by D and 600 received by D, interleaved in time, 7 referrals per instant (ties
      // on created_at across the 500-row batches), plus 50 drafts addressed to D it must not see.
      const start = new Date(Date.now() - 5 * 24 * HOUR);
      await sql.query(
        `INSERT INTO referrals (kind, status, patient_id, sender_id, sender_clinic_id, recipient_id, recipient_clinic_id, created_by,
                                priority, reason, created_at)
         SELECT 'injury_care', 'draft', $1, $2, $3, $4, $5, $2, 'routine', 'Bulk ' || g, $6::timestamptz + (g / 7) * interval '1 second'
           FROM generate_series(1, 600) g`,
        [ownPatient.id, lmt.id, d.clinicId, pt.id, e.clinicId, start],
      );
      await sql.query(
        `INSERT INTO referrals (kind, status, patient_id, sender_id, sender_clinic_id, recipient_id, recipient_clinic_id, created_by,
                                priority, reason, plan, sent_at, created_at)
         SELECT 'maintenance_massage', CASE WHEN g <= 600 THEN 'sent' ELSE 'draft' END, $1, $2, $3, $4, $5, $2, 'routine', 'Bulk ' || g,
                '{"frequencyWeeks": 2, "focusAreas": [], "precautions": ""}', CASE WHEN g <= 600 THEN now() END, $6::timestamptz + (g / 7) * interval '1 second'
           FROM generate_series(1, 650) g`,
        [theirPatient.id, pt.id, e.clinicId, lmt.id, d.clinicId, start],
      );

      const res = await t.http.get('/api/v1/admin/referrals/export.csv').set(d.admin.auth).expect(200);
      const [, ...rows] = parseCsv(res.text);
      expect(rows).toHaveLength(1200);
      expect(new Set(rows.map((row) => row[0])).size).toBe(1200);
      const created = rows.map((row) => row[EXPORT_COLUMNS.indexOf('created_at')]);
      expect([...created].sort()).toEqual(created);
      expect(rows.filter((row) => row[EXPORT_COLUMNS.indexOf('status')] === 'draft')).toHaveLength(600);

      const m = (await metrics(d.admin).expect(200)).body;
      expect([m.clinic.total, m.sent.total, m.received.total, m.received.byStatus.sent, m.clinic.overdue]).toEqual([
        1200, 600, 600, 600, 0,
      ]);
      const audit = await t.http
        .get('/api/v1/admin/audit-events')
        .query({ action: 'referral.export' })
        .set(d.admin.auth)
        .expect(200);
      expect(audit.body.items.map((i: { details: unknown }) => i.details)).toEqual([
        expect.objectContaining({ rows: 1200, completed: true }),
      ]);
    });
  });

  it('documents the admin routes in the OpenAPI document', async () => {
    const doc = (await t.http.get('/api/docs-json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/admin/metrics',
        '/api/v1/admin/referrals/overdue',
        '/api/v1/admin/audit-events',
        '/api/v1/admin/referrals/export.csv',
      ]),
    );
    expect(doc.paths['/api/v1/admin/metrics'].get.responses['403'].content['application/problem+json']).toBeDefined();
    expect(doc.paths['/api/v1/admin/referrals/export.csv'].get.responses['200'].content['text/csv']).toBeDefined();
  });

  describe('GET /admin/audit-events', () => {
    type AuditItem = {
      id: string;
      occurredAt: string;
      actorId: string | null;
      actorName: string | null;
      clinicId: string;
      clinicName: string | null;
      action: string;
      resourceId: string | null;
    };
    const audit = (user: SignedInUser, query: Record<string, string | number> = {}) =>
      t.http.get('/api/v1/admin/audit-events').query(query).set(user.auth);
    async function all(user: SignedInUser, query: Record<string, string | number>): Promise<AuditItem[]> {
      const items: AuditItem[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: AuditItem[]; nextCursor: string | null } = (
          await audit(user, cursor ? { ...query, cursor } : query).expect(200)
        ).body;
        expect(page.items.length).toBeLessThanOrEqual(Number(query.limit ?? 20));
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return items;
    }

    it("lists the clinic's events newest first, filtered by action and actor", async () => {
      const sends = (await audit(clinicA.admin, { action: 'referral.send', limit: 100 }).expect(200)).body.items as AuditItem[];
      // closed, after-pause, declined, cancelled, expired, overdue, paused: sent by Alex or Blair.
      expect(sends).toHaveLength(7);
      expect(sends.every((e) => e.clinicId === clinicA.clinicId && [a1.id, a2.id].includes(e.actorId!))).toBe(true);
      // Named, with their clinic, as they are named now.
      const names = { [a1.id]: 'Alex Anders', [a2.id]: 'Blair Brooks' };
      expect(sends.map((e) => [e.actorName, e.clinicName])).toEqual(sends.map((e) => [names[e.actorId!], CLINIC_A_NAME]));
      const times = sends.map((e) => e.occurredAt);
      expect([...times].sort().reverse()).toEqual(times);

      const blairSends = (await audit(clinicA.admin, { action: 'referral.send', actorId: a2.id }).expect(200)).body
        .items as AuditItem[];
      expect(blairSends.map((e) => e.resourceId).sort()).toEqual([r.declined.id, r.cancelled.id, r.paused.id].sort());
    });

    it('filters by resource and time', async () => {
      const about = (await audit(clinicA.admin, { resourceType: 'referral', resourceId: r.closed.id, limit: 100 }).expect(200))
        .body.items as AuditItem[];
      expect(about.map((e) => e.action)).toEqual(expect.arrayContaining(['referral.create', 'referral.send', 'referral.close']));
      expect(about.every((e) => e.resourceId === r.closed.id)).toBe(true);
      // Only clinic A's actors: B's accept of this referral is in B's log, not A's.
      expect(about.map((e) => e.action)).not.toContain('referral.accept');
      const bAbout = (await audit(clinicB.admin, { resourceId: r.closed.id, action: 'referral.accept' }).expect(200)).body
        .items as AuditItem[];
      expect(bAbout.map((e) => e.actorId)).toEqual([b1.id]);

      const future = new Date(Date.now() + HOUR).toISOString();
      expect((await audit(clinicA.admin, { from: future }).expect(200)).body.items).toEqual([]);
      const past = new Date(Date.now() - 24 * HOUR).toISOString();
      expect((await audit(clinicA.admin, { to: past }).expect(200)).body.items).toEqual([]);
      expect((await audit(clinicA.admin, { from: past, action: 'referral.send' }).expect(200)).body.items).toHaveLength(7);
    });

    it('pages through everything with a cursor, each event once', async () => {
      const whole = await all(clinicA.admin, { action: 'referral.send', limit: 2 });
      expect(whole).toHaveLength(7);
      expect(new Set(whole.map((e) => e.id)).size).toBe(7);
      const everything = await all(clinicA.admin, { limit: 100 });
      const ids = everything.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      // Keyset order holds across pages: newest first (events of one millisecond in the store's order).
      for (let i = 1; i < everything.length; i++) {
        expect(everything[i - 1].occurredAt >= everything[i].occurredAt).toBe(true);
      }
    });

    it("never shows another clinic's events, and carries no patient data", async () => {
      expect((await audit(clinicA.admin, { actorId: b1.id }).expect(200)).body.items).toEqual([]);
      expect((await audit(clinicC.admin, { resourceId: r.closed.id }).expect(200)).body.items).toEqual([]);
      const everything = await all(clinicA.admin, { limit: 100 });
      expect(everything.every((e) => e.clinicId === clinicA.clinicId)).toBe(true);
      const text = JSON.stringify(everything);
      expect(text).not.toContain('+cmd');
      expect(text).not.toContain('Robin');
      expect(text).not.toContain('Rivera');
    });

    it('finds the events on attachments and consents by their kind, filed under their referral and patient', async () => {
      type Filed = AuditItem & { resourceType: string };
      const patient = await createPatient(t.http, a1);
      const draft = await createReferral(t.http, a1, injuryReferralBody(patient.id, b1.id));
      const uploaded = await t.http
        .post(`/api/v1/referrals/${draft.id}/attachments`)
        .set(a1.auth)
        .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), 'scan.pdf')
        .expect(201);
      await actOk(t.http, a1, draft, 'send');
      await t.http.get(`/api/v1/referrals/${draft.id}/attachments/${uploaded.body.id}`).set(b1.auth).expect(200);
      const granted = await t.http
        .post(`/api/v1/patients/${patient.id}/consents`)
        .set(a1.auth)
        .send({ scope: 'patient_notifications' })
        .expect(201);
      await t.http.post(`/api/v1/patients/${patient.id}/consents/${granted.body.id}/revoke`).set(a1.auth).expect(200);

      const byKind = async (user: SignedInUser, resourceType: string) =>
        (await audit(user, { resourceType, limit: 100 }).expect(200)).body.items as Filed[];
      const attachments = await byKind(clinicA.admin, 'attachment');
      // The other clinic's download shows in the sender clinic's log too.
      expect(attachments.map((e) => [e.action, e.actorId, e.resourceType, e.resourceId])).toEqual([
        ['attachment.download', b1.id, 'referral', draft.id],
        ['attachment.upload', a1.id, 'referral', draft.id],
      ]);
      expect((await byKind(clinicB.admin, 'attachment')).map((e) => e.action)).toEqual(['attachment.download']);
      const consents = (await byKind(clinicA.admin, 'consent')).filter((e) => e.resourceId === patient.id);
      expect(consents.map((e) => [e.action, e.resourceType])).toEqual([
        ['consent.revoke', 'patient'],
        ['consent.grant', 'patient'],
      ]);
      // Filed under their referral and patient: those filters find them as well.
      const onReferral = (await audit(clinicA.admin, { resourceType: 'referral', resourceId: draft.id, limit: 100 }).expect(200))
        .body.items as Filed[];
      expect(onReferral.map((e) => e.action)).toEqual(expect.arrayContaining(['attachment.upload', 'attachment.download']));
      expect((await byKind(clinicC.admin, 'attachment')).concat(await byKind(clinicC.admin, 'consent'))).toEqual([]);
    });

    it('answers 400 for bad filters and paging', async () => {
      expectProblem(await audit(clinicA.admin, { limit: 101 }), 400, 'validation_failed');
      expectProblem(await audit(clinicA.admin, { actorId: 'not-a-uuid' }), 400, 'validation_failed');
      expectProblem(await audit(clinicA.admin, { resourceId: 'x' }), 400, 'validation_failed');
      expectProblem(await audit(clinicA.admin, { action: "referral.send' OR 1=1" }), 400, 'validation_failed');
      // Only the actions the log records (the reference data lists them): a typo is not an empty page.
      const unknownAction = await audit(clinicA.admin, { action: 'referral.teleport' });
      expectProblem(unknownAction, 400, 'validation_failed');
      expect(unknownAction.body.errors).toEqual([
        { field: 'action', message: expect.stringContaining('auditActions in GET /reference-data') },
      ]);
      const { auditActions } = (await t.http.get('/api/v1/reference-data').expect(200)).body as { auditActions: string[] };
      const named = ['referral.request-info', 'referral.expired', 'webhook.delete'];
      expect(auditActions).toEqual(expect.arrayContaining(named));
      for (const action of named) await audit(clinicA.admin, { action }).expect(200);
      expectProblem(await audit(clinicA.admin, { from: 'today' }), 400, 'validation_failed');
      const bogus = await audit(clinicA.admin, { resourceType: 'bogus' });
      expectProblem(bogus, 400, 'validation_failed');
      expect(bogus.body.errors).toEqual([expect.objectContaining({ field: 'resourceType' })]);
      expect((await audit(clinicA.admin, { resourceType: 'referral' }).expect(200)).body.items.length).toBeGreaterThan(0);
      expectProblem(
        await audit(clinicA.admin, { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }),
        400,
        'validation_failed',
      );
      expectProblem(
        await audit(clinicA.admin, {
          cursor: Buffer.from(JSON.stringify(['audit-events', '2026-03-01T00:00:00Z', 'x'])).toString('base64url'),
        }),
        400,
        'validation_failed',
      );
    });
  });
});

/** A strict RFC 4180 reader: CRLF record ends, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else if (ch === '\n' || ch === '\r' || ch === '"') throw new Error(`bare ${JSON.stringify(ch)} at ${i}`);
    else field += ch;
  }
  if (field !== '' || row.length > 0) throw new Error('unterminated record');
  return rows;
}
