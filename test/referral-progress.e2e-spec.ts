import { ReferralTimers } from '@referloop/referrals';
import { pdfText } from '@referloop/testing/pdf-text';
import { Client } from 'pg';
import {
  act,
  actOk,
  countRows,
  createPatient,
  createReferral,
  inDays,
  injuryReferralBody,
  maintenanceReferralBody,
} from './support/referral-helpers';
import { type CapturedEmail, eventually, startSmtpSink, startWebhookSink } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

type Referral = {
  id: string;
  version: number;
  status: string;
  progress?: unknown[];
  timeline: { type: string; actorId: string | null; data: Record<string, unknown> | null }[];
};

const PLAN = {
  frequencyWeeks: 2,
  pressure: 'moderate',
  precautions: 'No deep pressure over the AC joint',
  reportEveryWeeks: 2,
};

/**
 * A maintenance referral from `pt` to `lmt`, sent and accepted by the massage therapist: the state
 * from which progress is reported.
 */
async function acceptedMaintenance(
  t: TestApp,
  pt: SignedInUser,
  lmt: SignedInUser,
  overrides: Record<string, unknown> = {},
  patient: Record<string, unknown> = {},
): Promise<Referral> {
  const { id: patientId } = await createPatient(t.http, pt, patient);
  const draft = await createReferral(t.http, pt, maintenanceReferralBody(patientId, lmt.id, { plan: PLAN, ...overrides }));
  const sent = await actOk(t.http, pt, draft, 'send');
  return actOk(t.http, lmt, sent, 'accept');
}

/** Issue 12 item 5: `report-progress` and `progress[]` (SPEC "Progress"). */
describe('progress reports', () => {
  let t: TestApp;
  let sql: Client;
  let physio: TestClinic;
  let massage: TestClinic;
  let pt: SignedInUser;
  let lmt: SignedInUser;
  let thirdLmt: SignedInUser;
  let thirdAdmin: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const third = await registerClinic(t.http, { name: 'Eastside Bodywork' });
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    thirdLmt = await addPractitioner(t.http, third, 'massage_therapist');
    thirdAdmin = third.admin;
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  const read = async (user: SignedInUser, id: string): Promise<Referral> =>
    (await t.http.get(`/api/v1/referrals/${id}`).set(user.auth).expect(200)).body;

  const outcomePdf = async (user: SignedInUser, id: string): Promise<Buffer> => {
    const res = await t.http
      .get(`/api/v1/referrals/${id}/outcome.pdf`)
      .set(user.auth)
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    return res.body as Buffer;
  };

  it('appends a report to progress[] with its reporter, one timeline event, status unchanged; both sides read it oldest first', async () => {
    let r = await acceptedMaintenance(t, pt, lmt);
    expect(r.progress).toEqual([]);
    const before = r.timeline.length;

    r = await actOk(t.http, lmt, r, 'report-progress', {
      progress: {
        sessionsCompleted: 2,
        painLevel: 4,
        psfs: 6.5,
        tolerance: 'some_soreness',
        note: '  Tender after the first visit  ',
      },
    });
    expect(r).toMatchObject({ status: 'accepted' });
    expect(r.timeline).toHaveLength(before + 1);
    expect(r.timeline.at(-1)).toMatchObject({ type: 'progress_reported', actorId: lmt.id });
    expect(r.progress).toEqual([
      {
        id: expect.any(String),
        sessionsCompleted: 2,
        painLevel: 4,
        psfs: 6.5,
        tolerance: 'some_soreness',
        note: 'Tender after the first visit',
        reportedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        reportedBy: { id: lmt.id, fullName: expect.any(String) },
      },
    ]);

    // Optional measures may be left out; later states take reports too.
    r = await actOk(t.http, lmt, r, 'schedule', { appointmentAt: inDays(2) });
    r = await actOk(t.http, lmt, r, 'start-care');
    r = await actOk(t.http, lmt, r, 'report-progress', { progress: { sessionsCompleted: 4, tolerance: 'well' } });
    expect(r.status).toBe('in_care');
    expect(r.progress).toHaveLength(2);
    expect(r.progress?.[1]).toEqual({
      id: expect.any(String),
      sessionsCompleted: 4,
      painLevel: null,
      psfs: null,
      tolerance: 'well',
      note: null,
      reportedAt: expect.any(String),
      reportedBy: { id: lmt.id, fullName: expect.any(String) },
    });

    const asSender = await read(pt, r.id);
    const asRecipient = await read(lmt, r.id);
    expect(asSender.progress).toEqual(r.progress);
    expect(asRecipient.progress).toEqual(r.progress);
    expect(asSender.progress?.map((p) => (p as { sessionsCompleted: number }).sessionsCompleted)).toEqual([2, 4]);
    // The report and its event were written together.
    expect(await countRows(sql, 'referral_progress', 'referral_id = $1', [r.id])).toBe(2);
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM referral_progress g JOIN referral_events e ON e.id = g.event_id
        WHERE g.referral_id = $1 AND e.type = 'progress_reported'`,
      [r.id],
    );
    expect(rows[0].n).toBe(2);
    // Lists stay light: progress is on the single referral only.
    const list = await t.http.get('/api/v1/referrals').query({ box: 'sent' }).set(pt.auth).expect(200);
    expect(list.body.items.find((i: Referral) => i.id === r.id)).not.toHaveProperty('progress');
  });

  it('is taken by the recipient side only: 403 for the sender and the sender clinic admin; the recipient clinic admin reports on behalf', async () => {
    const r = await acceptedMaintenance(t, pt, lmt);
    const body = { progress: { sessionsCompleted: 1, tolerance: 'well' } };
    expectProblem(await act(t.http, pt, r.id, 'report-progress', r.version, body), 403, 'forbidden');
    expectProblem(await act(t.http, physio.admin, r.id, 'report-progress', r.version, body), 403, 'forbidden');
    const byAdmin = await actOk(t.http, massage.admin, r, 'report-progress', body);
    expect(byAdmin.progress).toEqual([
      expect.objectContaining({ reportedBy: { id: massage.admin.id, fullName: expect.any(String) } }),
    ]);
    expect(byAdmin.timeline.at(-1)).toMatchObject({ type: 'progress_reported', actorId: massage.admin.id });
  });

  it('two reports at the same version at once: one is written with its event, the other is 409 stale_version and leaves nothing', async () => {
    const r = await acceptedMaintenance(t, pt, lmt);
    const body = { progress: { sessionsCompleted: 1, tolerance: 'well' } };
    const answers = await Promise.all([1, 2, 3].map(() => act(t.http, lmt, r.id, 'report-progress', r.version, body)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) expectProblem(refused, 409, 'stale_version');
    expect(await countRows(sql, 'referral_progress', 'referral_id = $1', [r.id])).toBe(1);
    expect(await countRows(sql, 'referral_events', "referral_id = $1 AND type = 'progress_reported'", [r.id])).toBe(1);
    expect(await countRows(sql, 'outbox_events', "referral_id = $1 AND type = 'referral.progress_reported'", [r.id])).toBe(1);
  });

  it('answers 409 stale_version and 409 invalid_transition (with allowedActions), changing nothing', async () => {
    const r = await acceptedMaintenance(t, pt, lmt);
    const body = { progress: { sessionsCompleted: 1, tolerance: 'well' } };
    const stale = await act(t.http, lmt, r.id, 'report-progress', r.version - 1, body);
    expectProblem(stale, 409, 'stale_version');

    // Not before acceptance, and not after the outcome.
    const { id: patientId } = await createPatient(t.http, pt);
    const sent = await actOk(
      t.http,
      pt,
      await createReferral(t.http, pt, maintenanceReferralBody(patientId, lmt.id, { plan: PLAN })),
      'send',
    );
    const early = await act(t.http, lmt, sent.id, 'report-progress', sent.version, body);
    expectProblem(early, 409, 'invalid_transition');
    expect(early.body.currentStatus).toBe('sent');
    expect(early.body.allowedActions).not.toContain('report-progress');
    expect(early.body.allowedActions).toContain('accept');

    let done = await actOk(t.http, lmt, r, 'schedule', { appointmentAt: inDays(1) });
    done = await actOk(t.http, lmt, done, 'start-care');
    done = await actOk(t.http, lmt, done, 'send-outcome', { outcome: { summary: 'Plan completed' } });
    const late = await act(t.http, lmt, done.id, 'report-progress', done.version, body);
    expectProblem(late, 409, 'invalid_transition');
    expect(late.body.currentStatus).toBe('outcome_sent');
    expect(await countRows(sql, 'referral_progress', 'referral_id = ANY($1)', [[r.id, sent.id]])).toBe(0);
  });

  it.each([
    ['no progress', {}, 'progress'],
    ['sessionsCompleted missing', { progress: { tolerance: 'well' } }, 'progress.sessionsCompleted'],
    ['sessionsCompleted -1', { progress: { sessionsCompleted: -1, tolerance: 'well' } }, 'progress.sessionsCompleted'],
    ['sessionsCompleted 1.5', { progress: { sessionsCompleted: 1.5, tolerance: 'well' } }, 'progress.sessionsCompleted'],
    ['painLevel 11', { progress: { sessionsCompleted: 1, painLevel: 11, tolerance: 'well' } }, 'progress.painLevel'],
    ['painLevel 2.5', { progress: { sessionsCompleted: 1, painLevel: 2.5, tolerance: 'well' } }, 'progress.painLevel'],
    ['psfs 10.5', { progress: { sessionsCompleted: 1, psfs: 10.5, tolerance: 'well' } }, 'progress.psfs'],
    ['psfs "7"', { progress: { sessionsCompleted: 1, psfs: '7', tolerance: 'well' } }, 'progress.psfs'],
    ['psfs 6.255', { progress: { sessionsCompleted: 1, psfs: 6.255, tolerance: 'well' } }, 'progress.psfs'],
    // Numbers JavaScript writes in exponent form (class-validator's decimal check threw on them: a 500).
    ['psfs 1e-7', { progress: { sessionsCompleted: 1, psfs: 1e-7, tolerance: 'well' } }, 'progress.psfs'],
    ['psfs 5e-324', { progress: { sessionsCompleted: 1, psfs: 5e-324, tolerance: 'well' } }, 'progress.psfs'],
    ['tolerance missing', { progress: { sessionsCompleted: 1 } }, 'progress.tolerance'],
    ['a note of spaces', { progress: { sessionsCompleted: 1, tolerance: 'well', note: '   ' } }, 'progress.note'],
    ['tolerance unknown', { progress: { sessionsCompleted: 1, tolerance: 'great' } }, 'progress.tolerance'],
    ['an unknown field', { progress: { sessionsCompleted: 1, tolerance: 'well', mood: 'fine' } }, 'progress.mood'],
    ['a note besides', { progress: { sessionsCompleted: 1, tolerance: 'well' }, note: 'x' }, 'note'],
  ])('answers 400 naming the field: %s', async (_label, body, field) => {
    const r = await acceptedMaintenance(t, pt, lmt);
    const res = await act(t.http, lmt, r.id, 'report-progress', r.version, body);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await read(pt, r.id)).toMatchObject({ version: r.version, progress: [] });
  });

  it('a third clinic gets 404 for the referral and its report-progress', async () => {
    const r = await actOk(t.http, lmt, await acceptedMaintenance(t, pt, lmt), 'report-progress', {
      progress: { sessionsCompleted: 1, tolerance: 'well' },
    });
    for (const user of [thirdLmt, thirdAdmin]) {
      expectProblem(await t.http.get(`/api/v1/referrals/${r.id}`).set(user.auth), 404, 'not_found');
      const res = await act(t.http, user, r.id, 'report-progress', r.version, {
        progress: { sessionsCompleted: 1, tolerance: 'well' },
      });
      expectProblem(res, 404, 'not_found');
    }
    expect(await countRows(sql, 'referral_progress', 'referral_id = $1', [r.id])).toBe(1);
  });

  it("embeds a referral's latest 100 reports, says earlier ones exist, and /progress pages through them all", async () => {
    type Report = { id: string; sessionsCompleted: number };
    const reports = (r: Referral) => (r.progress ?? []) as Report[];
    let r = await acceptedMaintenance(t, pt, lmt);
    for (let i = 1; i <= 100; i++) {
      r = await actOk(t.http, lmt, r, 'report-progress', {
        progress: { sessionsCompleted: i, tolerance: 'well', note: `week ${i}` },
      });
    }
    const full = (await read(pt, r.id)) as Referral & { progressTruncated?: boolean };
    expect(reports(full)).toHaveLength(100);
    expect(full.progressTruncated).toBe(false);

    // The 101st: the action's answer and a read hold the latest 100, oldest first.
    r = await actOk(t.http, lmt, r, 'report-progress', { progress: { sessionsCompleted: 101, tolerance: 'well' } });
    const answered = r as Referral & { progressTruncated?: boolean };
    expect(answered.progressTruncated).toBe(true);
    expect(reports(answered).map((p) => p.sessionsCompleted)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    const windowed = (await read(pt, r.id)) as Referral & { progressTruncated?: boolean };
    expect(windowed.progressTruncated).toBe(true);
    expect(reports(windowed)).toEqual(reports(answered));

    // Every report, in pages, to either side; each once.
    const pageThrough = async (user: SignedInUser): Promise<Report[]> => {
      const all: Report[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Report[]; nextCursor: string | null } = (
          await t.http
            .get(`/api/v1/referrals/${r.id}/progress`)
            .query(cursor ? { cursor, limit: 40 } : { limit: 40 })
            .set(user.auth)
            .expect(200)
        ).body;
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    };
    const paged = await pageThrough(pt);
    expect(paged.map((p) => p.sessionsCompleted)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(new Set(paged.map((p) => p.id)).size).toBe(101);
    expect(paged.slice(1)).toEqual(reports(windowed));
    expect(await pageThrough(lmt)).toEqual(paged);

    // A cursor belongs to its referral's list; outsiders see nothing.
    const first = await t.http.get(`/api/v1/referrals/${r.id}/progress`).query({ limit: 1 }).set(pt.auth).expect(200);
    const other = await acceptedMaintenance(t, pt, lmt);
    const foreign = await t.http
      .get(`/api/v1/referrals/${other.id}/progress`)
      .query({ cursor: first.body.nextCursor })
      .set(pt.auth);
    expectProblem(foreign, 400, 'validation_failed');
    expect(foreign.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
    for (const user of [thirdLmt, thirdAdmin]) {
      expectProblem(await t.http.get(`/api/v1/referrals/${r.id}/progress`).set(user.auth), 404, 'not_found');
    }
    const audited = await sql.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'referral.read_progress' AND resource_id = $1 AND outcome = 'success'`,
      [r.id],
    );
    expect(audited.rows[0].n).toBeGreaterThanOrEqual(6);

    // The outcome report prints the latest 50 and says how many it leaves out.
    r = await actOk(t.http, lmt, r, 'schedule', { appointmentAt: inDays(1) });
    r = await actOk(t.http, lmt, r, 'start-care');
    r = await actOk(t.http, lmt, r, 'send-outcome', { outcome: { summary: 'Plan completed' } });
    const { text } = await pdfText(await outcomePdf(pt, r.id));
    expect(text).toContain('The latest 50 of 101 progress reports; the earlier ones are in ReferLoop.');
    expect(text).toContain('week 52');
    expect(text).not.toContain('week 51');
  });

  it('the outcome report PDF lists the progress reports', async () => {
    let r = await acceptedMaintenance(t, pt, lmt);
    r = await actOk(t.http, lmt, r, 'schedule', { appointmentAt: inDays(1) });
    r = await actOk(t.http, lmt, r, 'start-care');
    r = await actOk(t.http, lmt, r, 'report-progress', {
      progress: { sessionsCompleted: 3, painLevel: 5, psfs: 6.25, tolerance: 'adverse', note: 'Bruising after deep work' },
    });
    r = await actOk(t.http, lmt, r, 'send-outcome', { outcome: { summary: 'Plan completed' } });
    const { text } = await pdfText(await outcomePdf(pt, r.id));
    expect(text).not.toContain('The latest');
    for (const expected of ['Progress reports', '3 sessions completed', 'pain 5 / 10', 'PSFS 6.25', 'Bruising after deep work']) {
      expect(text).toContain(expected);
    }
  });

  it('an injury referral takes progress reports from the PT too', async () => {
    const { id: patientId } = await createPatient(t.http, lmt);
    let r = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    r = await actOk(t.http, pt, r, 'accept');
    r = await actOk(t.http, pt, r, 'report-progress', { progress: { sessionsCompleted: 1, painLevel: 6, tolerance: 'well' } });
    expect(r.progress).toEqual([expect.objectContaining({ painLevel: 6, reportedBy: expect.objectContaining({ id: pt.id }) })]);
  });
});

/** The sender hears of each report, in-app, by email and webhook, with no patient data. */
describe('progress reports: notifications', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let hooks: Awaited<ReturnType<typeof startWebhookSink>>;
  let pt: SignedInUser;
  let lmt: SignedInUser;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    hooks = await startWebhookSink(() => 204);
    t = await startTestApp(
      { SMTP_URL: smtp.url, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', OUTBOX_SWEEP_INTERVAL: '250ms' },
      { worker: true },
    );
    const physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    const massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    await t.http
      .post('/api/v1/webhooks')
      .set(physio.admin.auth)
      .send({ url: hooks.url, eventTypes: ['referral.progress_reported'] })
      .expect(201);
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
    await hooks.close();
  });

  const inbox = async (user: SignedInUser) =>
    (await t.http.get('/api/v1/notifications').set(user.auth).expect(200)).body.items as {
      type: string;
      referralId: string;
      title: string;
      body: string;
    }[];

  it('tells the sender "progress reported"; urgent says so; no name, reason or note leaves in email or webhook', async () => {
    const canary = 'Quillfeather';
    const r = await acceptedMaintenance(t, pt, lmt, { priority: 'urgent' }, { lastName: canary });
    await actOk(t.http, lmt, r, 'report-progress', {
      progress: { sessionsCompleted: 3, painLevel: 2, tolerance: 'well', note: `${canary} feels lighter` },
    });

    const item = await eventually(
      async () => (await inbox(pt)).find((n) => n.referralId === r.id && n.type === 'progress_reported'),
      'in-app notification to the sender',
    );
    expect(item.title).toBe('Urgent: Progress reported');
    expect(item.body).toContain('Sunrise Massage reported progress');
    // The reporter is not told of their own report.
    expect((await inbox(lmt)).filter((n) => n.referralId === r.id && n.type === 'progress_reported')).toEqual([]);

    const mail = await eventually(
      () => smtp.messages.find((m: CapturedEmail) => m.to.includes(pt.email) && m.raw.includes('Progress reported')),
      'email to the sender',
    );
    const hook = await eventually(() => hooks.requests.find((h) => h.body.includes('referral.progress_reported')), 'webhook');
    expect(JSON.parse(hook.body)).toMatchObject({ event: 'referral.progress_reported', referralId: r.id });
    for (const text of [mail.raw, hook.body, JSON.stringify(item)]) {
      expect(text).not.toContain(canary);
      expect(text).not.toContain('feels lighter');
    }
  });

  it('reminds the recipient when a report period ended without a report', async () => {
    const r = await acceptedMaintenance(t, pt, lmt);
    const timers = t.app.get(ReferralTimers);
    const week = 7 * 24 * 3600_000;
    await timers.run(new Date(Date.now() + 2 * week + 60_000), t.config.timers);
    const item = await eventually(
      async () => (await inbox(lmt)).find((n) => n.referralId === r.id && n.type === 'progress_report_due'),
      'reminder to the recipient',
    );
    expect(item.title).toBe('Progress report due');
    expect((await inbox(pt)).filter((n) => n.referralId === r.id && n.type === 'progress_report_due')).toEqual([]);
  });
});

/** `progress_report_due` with an injected `now` (no worker: the test runs the timers itself). */
describe('progress report reminders with an injected clock', () => {
  let t: TestApp;
  let sql: Client;
  let pt: SignedInUser;
  let lmt: SignedInUser;

  const MINUTE = 60_000;
  const DAY = 24 * 60 * MINUTE;
  const WEEK = 7 * DAY;

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    const physio = await registerClinic(t.http, { name: 'Harbour Physio' });
    const massage = await registerClinic(t.http, { name: 'Harbour Massage' });
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  const dueEvents = async (id: string) =>
    (
      await sql.query<{ period: number; type: string }>(
        `SELECT (data->>'period')::int AS period, (SELECT type FROM outbox_events o WHERE o.referral_event_id = e.id) AS type
           FROM referral_events e WHERE referral_id = $1 AND e.type = 'progress_report_due' ORDER BY occurred_at`,
        [id],
      )
    ).rows;

  it('reminds once per period without a report; not in a period with one; never without reportEveryWeeks or care', async () => {
    const silent = await acceptedMaintenance(t, pt, lmt);
    const reporting = await actOk(t.http, lmt, await acceptedMaintenance(t, pt, lmt), 'report-progress', {
      progress: { sessionsCompleted: 1, tolerance: 'well' },
    });
    const noCadence = await acceptedMaintenance(t, pt, lmt, {
      plan: { frequencyWeeks: 2, pressure: 'light', precautions: 'None known' },
    });
    const { id: injuryPatient } = await createPatient(t.http, lmt);
    const injury = await actOk(
      t.http,
      pt,
      await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(injuryPatient, pt.id)), 'send'),
      'accept',
    );
    const { id: waitingPatient } = await createPatient(t.http, pt);
    const notAccepted = await actOk(
      t.http,
      pt,
      await createReferral(t.http, pt, maintenanceReferralBody(waitingPatient, lmt.id, { plan: PLAN })),
      'send',
    );
    // Every one accepted (or sent) a day ago: periods of two weeks run from then; the report was made in the first.
    const start = new Date(Date.now() - DAY);
    await sql.query(`UPDATE referrals SET responded_at = $1 WHERE id = ANY($2)`, [
      start,
      [silent.id, reporting.id, noCadence.id, injury.id, notAccepted.id],
    ]);

    const timers = t.app.get(ReferralTimers);
    const runAt = async (ms: number) => (await timers.run(new Date(start.getTime() + ms), t.config.timers)).progressDue;

    expect(await runAt(2 * WEEK - MINUTE)).toBe(0);
    expect(await runAt(2 * WEEK + MINUTE)).toBe(1);
    expect(await dueEvents(silent.id)).toEqual([{ period: 1, type: 'referral.progress_report_due' }]);
    expect(await dueEvents(reporting.id)).toEqual([]);
    // A re-run in the same period writes nothing.
    expect(await runAt(2 * WEEK + 5 * MINUTE)).toBe(0);
    expect(await runAt(4 * WEEK - MINUTE)).toBe(0);

    // The second period: neither reported.
    expect(await runAt(4 * WEEK + MINUTE)).toBe(2);
    expect(await dueEvents(silent.id)).toEqual([
      { period: 1, type: 'referral.progress_report_due' },
      { period: 2, type: 'referral.progress_report_due' },
    ]);
    expect(await dueEvents(reporting.id)).toEqual([{ period: 2, type: 'referral.progress_report_due' }]);

    // Two runs at once (two workers) still remind once per referral and period.
    const [a, b] = await Promise.all([runAt(6 * WEEK + MINUTE), runAt(6 * WEEK + 2 * MINUTE)]);
    expect(a + b).toBe(2);
    for (const id of [noCadence.id, injury.id, notAccepted.id]) expect(await dueEvents(id)).toEqual([]);

    // The recipient's timeline shows it; the status did not change.
    const seen = await t.http.get(`/api/v1/referrals/${silent.id}`).set(lmt.auth).expect(200);
    expect(seen.body.status).toBe('accepted');
    expect(seen.body.timeline.filter((e: { type: string }) => e.type === 'progress_report_due')).toHaveLength(3);
  });

  it('skips a referral an action holds at that moment, and does not remind of it once the action took it out of care', async () => {
    const r = await acceptedMaintenance(t, pt, lmt);
    const start = new Date(Date.now() - DAY);
    await sql.query(`UPDATE referrals SET responded_at = $1 WHERE id = $2`, [start, r.id]);
    // An action in flight: it holds the row while it moves the referral out of care.
    const action = new Client({ connectionString: t.database.url });
    await action.connect();
    try {
      await action.query('BEGIN');
      await action.query(`UPDATE referrals SET status = 'cancel_requested', version = version + 1 WHERE id = $1`, [r.id]);
      const timers = t.app.get(ReferralTimers);
      expect((await timers.run(new Date(start.getTime() + 2 * WEEK + MINUTE), t.config.timers)).progressDue).toBe(0);
      await action.query('COMMIT');
      expect((await timers.run(new Date(start.getTime() + 2 * WEEK + 2 * MINUTE), t.config.timers)).progressDue).toBe(0);
      expect(await dueEvents(r.id)).toEqual([]);
    } finally {
      await action.end();
    }
  });

  it('stops once the referral leaves care', async () => {
    let r = await acceptedMaintenance(t, pt, lmt);
    r = await actOk(t.http, pt, r, 'request-cancel', { reason: 'Client moved away' });
    const start = new Date(Date.now() - DAY);
    await sql.query(`UPDATE referrals SET responded_at = $1 WHERE id = $2`, [start, r.id]);
    await t.app.get(ReferralTimers).run(new Date(start.getTime() + 2 * WEEK + MINUTE), t.config.timers);
    expect(await dueEvents(r.id)).toEqual([]);
  });
});
