import { randomBytes } from 'node:crypto';
import { createTestDatabase, isoDateFrom, PASSWORD, practitionerPayload, type TestDatabase } from '@referloop/testing';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { appEnv, type ChildHandle, PrivateRedis, ProcessSet, startApi, startWorker } from './support/processes';
import { actionBody, actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import { eventually, startSmtpSink, startWebhookSink } from './support/sinks';
import { addPractitioner, registerClinic, type SignedInUser, type TestClinic } from './support/test-app';

/**
 * Notifications under faults, with the real built API and worker as child processes, a private
 * redis-server (never the shared one), a database of their own, and SMTP and webhook sinks.
 * SPEC "Notifications": a crash of the API or the worker, or Redis being down for a while, delays
 * notifications but loses none and sends none twice.
 */

const TEST_TIMEOUT_MS = 120_000;
const OPERATOR_PASSWORD = 'operator-password-for-faults';
const DRAIN_TIMEOUT_MS = 75_000;

/** Who hears about each event this file produces (SPEC "Notifications"); other events notify nobody in-app. */
const TOLD: Record<string, 'sender' | 'recipient'> = {
  sent: 'recipient',
  accepted: 'sender',
  scheduled: 'sender',
  care_started: 'sender',
  outcome_sent: 'sender',
};

/** Webhook subscriptions: the recipient clinic hears about new referrals, the sender clinic about progress. */
const RECIPIENT_HOOK_EVENTS = ['referral.sent'];
const SENDER_HOOK_EVENTS = ['referral.accepted', 'referral.scheduled', 'referral.outcome_sent'];

/** The step each action appends (the event types used here). */
const EVENT_OF: Record<string, string> = {
  send: 'sent',
  accept: 'accepted',
  schedule: 'scheduled',
  'start-care': 'care_started',
  'send-outcome': 'outcome_sent',
};

type Sinks = { smtp: Awaited<ReturnType<typeof startSmtpSink>>; hooks: Awaited<ReturnType<typeof startWebhookSink>> };

interface Stack extends Sinks {
  procs: ProcessSet;
  db: TestDatabase;
  sql: Client;
  redis: PrivateRedis;
  env: Record<string, string>;
  api: { url: string; process: ChildHandle };
  http: TestAgent;
  /** Every API and worker process started, in order (their output is checked for PHI). */
  children: ChildHandle[];
  worker?: ChildHandle;
  lmt: SignedInUser;
  pt: SignedInUser;
  massage: TestClinic;
  physio: TestClinic;
  /** Expected notifications, filled in as the test acts. */
  expected: Expected;
  startWorker(): Promise<ChildHandle>;
  startApi(): Promise<void>;
}

/**
 * What must arrive: one in-app row per (referral, user, type), one email each, one webhook per
 * subscription; plus the practitioners' invitation emails that were sent (see startStack).
 */
class Expected {
  readonly inApp = new Set<string>();
  emails = 0;
  webhooks = 0;
  readonly referralIds = new Set<string>();

  constructor(
    private readonly parties: { sender: SignedInUser; recipient: SignedInUser },
    private readonly hooks: { sender: string[]; recipient: string[] },
  ) {}

  event(referralId: string, event: string): void {
    this.referralIds.add(referralId);
    const audience = TOLD[event];
    if (audience) {
      this.inApp.add(`${referralId}|${this.parties[audience].id}|${event}`);
      this.emails += 1;
    }
    const subscribed = (events: string[]) => events.includes(`referral.${event}`) || events.includes('*');
    // A draft is the sender's business: the recipient clinic's webhooks hear nothing of it.
    if (subscribed(this.hooks.sender)) this.webhooks += 1;
    if (subscribed(this.hooks.recipient) && event !== 'created') this.webhooks += 1;
  }
}

async function startStack(
  options: { logLevel?: string; hookEvents?: { sender: string[]; recipient: string[] } } = {},
): Promise<Stack> {
  const procs = new ProcessSet();
  try {
    const db = procs.track(await createTestDatabase(), (d) => d.drop());
    const redis = procs.track(await PrivateRedis.start(), (r) => r.close());
    const smtp = procs.track(await startSmtpSink(), (s) => s.close());
    const hooks = procs.track(await startWebhookSink(() => 200), (h) => h.close());
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    procs.track(sql, (c) => c.end());
    const env = appEnv({
      databaseUrl: db.url,
      redisUrl: redis.url,
      smtpUrl: smtp.url,
      queuePrefix: `faults_${randomBytes(4).toString('hex')}`,
      jwtSecret: randomBytes(32).toString('hex'),
      logLevel: options.logLevel,
      // The operator's readiness details and queue dashboard read the queues too.
      extra: { OPERATOR_USER: 'operator', OPERATOR_PASSWORD: OPERATOR_PASSWORD },
    });
    const children: ChildHandle[] = [];
    const stack = {
      procs,
      db,
      sql,
      redis,
      smtp,
      hooks,
      env,
      children,
      async startWorker() {
        const worker = procs.track(await startWorker(env, `worker#${children.length}`), (w) => w.stop());
        children.push(worker);
        stack.worker = worker;
        return worker;
      },
      async startApi() {
        const api = await startApi(env, `api#${children.length}`);
        procs.track(api.process, (p) => p.stop());
        children.push(api.process);
        stack.api = api;
        stack.http = request(api.url);
      },
    } as Stack;
    await stack.startApi();
    await stack.startWorker();

    stack.massage = await registerClinic(stack.http, { name: 'Sunrise Massage' });
    stack.physio = await registerClinic(stack.http, { name: 'Capitol Physio' });
    stack.lmt = await addPractitioner(stack.http, stack.massage, 'massage_therapist');
    stack.pt = await addPractitioner(stack.http, stack.physio, 'physical_therapist');
    const hookEvents = options.hookEvents ?? { sender: SENDER_HOOK_EVENTS, recipient: RECIPIENT_HOOK_EVENTS };
    await stack.http
      .post('/api/v1/webhooks')
      .set(stack.physio.admin.auth)
      .send({ url: hooks.url, eventTypes: hookEvents.recipient })
      .expect(201);
    await stack.http
      .post('/api/v1/webhooks')
      .set(stack.massage.admin.auth)
      .send({ url: hooks.url, eventTypes: hookEvents.sender })
      .expect(201);
    stack.expected = new Expected({ sender: stack.lmt, recipient: stack.pt }, hookEvents);
    // The two invitations were accepted at once, so each email went out or was skipped as no
    // longer needed, whichever came first: settle that before the faults begin, and expect what went.
    const invitationEmails = await eventually(async () => {
      const { rows } = await stack.sql.query(
        `SELECT status, last_error FROM notification_deliveries WHERE notification_type = 'invitation.created'`,
      );
      return rows.length === 2 && rows.every((r) => r.status === 'delivered' || r.status === 'skipped') && rows;
    }, 'the invitation emails sent or skipped');
    stack.expected.emails = invitationEmails.filter((r) => r.status === 'delivered').length;
    return stack;
  } catch (error) {
    await procs.stopAll().catch(() => undefined);
    throw error;
  }
}

/** Creates a referral and takes it through `actions` (each answer asserted 201/200); records what must be notified. */
async function referralThrough(
  s: Stack,
  patientId: string,
  actions: string[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  let referral = await createReferral(s.http, s.lmt, injuryReferralBody(patientId, s.pt.id, extra));
  s.expected.event(referral.id, 'created');
  for (const action of actions) {
    const actor = action === 'send' ? s.lmt : s.pt;
    referral = await actOk(s.http, actor, referral, action, actionBody(action));
    s.expected.event(referral.id, EVENT_OF[action]);
  }
  return referral.id;
}

/** Runs `count` flows, `parallel` at a time. */
async function burst(s: Stack, patientId: string, count: number, parallel: number, actions: string[]): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next += 1;
        ids.push(await referralThrough(s, patientId, actions));
      }
    }),
  );
  return ids;
}

const messageIdOf = (raw: string) => /^Message-ID:\s*<([^@>]+)@referloop>/im.exec(raw)?.[1];
const countBy = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());

interface Tally {
  inAppRows: number;
  inAppKeys: Map<string, number>;
  deliveries: { pending: number; failed: number; delivered: number };
  emails: { total: number; distinct: Set<string> };
  webhooks: { total: number; distinct: Set<string> };
  queues: number;
  unpublished: number;
}

/** Delivery jobs not finished yet (waiting, active — incl. a killed worker's — delayed…). Fan-out has no queue. */
async function unfinishedJobs(s: Stack): Promise<number> {
  const queue = new Queue('notification-deliveries', {
    connection: { host: '127.0.0.1', port: s.redis.port, maxRetriesPerRequest: 1 },
    prefix: s.env.QUEUE_PREFIX,
  });
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}

async function tally(s: Stack): Promise<Tally> {
  const ids = [...s.expected.referralIds];
  const inApp = await s.sql.query(`SELECT referral_id, user_id, type FROM notifications WHERE referral_id = ANY($1::uuid[])`, [
    ids,
  ]);
  const deliveries = await s.sql.query(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'delivered')::int AS delivered
       FROM notification_deliveries`,
  );
  const unpublished = await s.sql.query(`SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL`);
  const emailIds = s.smtp.messages.map((m) => messageIdOf(m.raw) ?? 'no-message-id');
  const hookIds = s.hooks.requests.filter((r) => r.status < 300).map((r) => String(r.headers['x-referloop-delivery']));
  return {
    inAppRows: inApp.rows.length,
    inAppKeys: countBy(inApp.rows.map((r) => `${r.referral_id}|${r.user_id}|${r.type}`)),
    deliveries: deliveries.rows[0] as Tally['deliveries'],
    emails: { total: emailIds.length, distinct: new Set(emailIds) },
    webhooks: { total: hookIds.length, distinct: new Set(hookIds) },
    queues: s.redis.running ? await unfinishedJobs(s).catch(() => -1) : -1,
    unpublished: unpublished.rows[0].n as number,
  };
}

/**
 * Waits until everything is done (outbox published, no delivery pending, no job left — a killed
 * worker's active jobs included — and the sinks caught up), then checks: exactly the expected
 * in-app rows, one delivery row per (event, recipient, channel), every email and webhook delivery
 * received, by its delivery id. Returns the tally, with total vs distinct for the sinks.
 */
async function expectAllDeliveredOnce(s: Stack, label: string, options: { sinkDuplicatesAllowed: boolean }): Promise<Tally> {
  const e = s.expected;
  let last: Tally | undefined;
  try {
    await eventually(
      async () => {
        last = await tally(s);
        return (
          last.unpublished === 0 &&
          last.deliveries.pending === 0 &&
          last.queues === 0 &&
          last.inAppRows >= e.inApp.size &&
          last.emails.distinct.size >= e.emails &&
          last.webhooks.distinct.size >= e.webhooks
        );
      },
      `${label}: all notifications delivered`,
      DRAIN_TIMEOUT_MS,
    );
  } catch (error) {
    const summary = last && {
      ...last,
      inAppKeys: last.inAppKeys.size,
      emails: last.emails.distinct.size,
      webhooks: last.webhooks.distinct.size,
    };
    throw new Error(
      `${(error as Error).message}; expected in-app ${e.inApp.size}, emails ${e.emails}, webhooks ${e.webhooks}; got ${JSON.stringify(summary)}\n` +
        s.children.map((c) => c.output(2_000)).join('\n'),
      { cause: error },
    );
  }
  const t = last as Tally;

  // In-app: exactly the expected (referral, user, type) keys, once each.
  expect([...t.inAppKeys.entries()].filter(([, n]) => n > 1)).toEqual([]);
  expect([...t.inAppKeys.keys()].sort()).toEqual([...e.inApp].sort());

  // One delivery row per (event, recipient, channel), all delivered, none failed.
  const dupKeys = await s.sql.query(
    `SELECT outbox_event_id, recipient_key, channel, count(*)::int AS n FROM notification_deliveries
      GROUP BY 1, 2, 3 HAVING count(*) > 1`,
  );
  expect(dupKeys.rows).toEqual([]);
  expect(t.deliveries).toMatchObject({ pending: 0, failed: 0 });

  // Every email and webhook delivery arrived (by Message-ID / x-referloop-delivery), nothing else did.
  const rows = await s.sql.query(
    `SELECT id, channel, status, last_error FROM notification_deliveries
      WHERE channel <> 'in_app' AND NOT (notification_type = 'invitation.created' AND status = 'skipped')`,
  );
  const ids = (channel: string) =>
    rows.rows
      .filter((r) => r.channel === channel)
      .map((r) => r.id as string)
      .sort();
  expect(rows.rows.filter((r) => r.status === 'skipped')).toEqual([]);
  // Practitioners' and patients' emails share the SMTP sink.
  const emailIds = [...ids('email'), ...ids('patient_email')].sort();
  expect(emailIds).toHaveLength(e.emails);
  expect(ids('webhook')).toHaveLength(e.webhooks);
  expect([...t.emails.distinct].sort()).toEqual(emailIds);
  expect([...t.webhooks.distinct].sort()).toEqual(ids('webhook'));

  const report =
    `${label}: in-app ${t.inAppRows}/${e.inApp.size}; emails total ${t.emails.total}, distinct ${t.emails.distinct.size}/${e.emails}; ` +
    `webhooks total ${t.webhooks.total}, distinct ${t.webhooks.distinct.size}/${e.webhooks}`;
  const duplicates = t.emails.total - t.emails.distinct.size + (t.webhooks.total - t.webhooks.distinct.size);
  console.info(duplicates > 0 ? `${report} — ${duplicates} DUPLICATE send(s) (crash between send and mark-delivered)` : report);
  if (!options.sinkDuplicatesAllowed) {
    expect(t.emails.total).toBe(t.emails.distinct.size);
    expect(t.webhooks.total).toBe(t.webhooks.distinct.size);
  }
  return t;
}

async function unpublishedFor(s: Stack, referralIds: string[]): Promise<number> {
  const { rows } = await s.sql.query(
    `SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL AND referral_id = ANY($1::uuid[])`,
    [referralIds],
  );
  return rows[0].n as number;
}

async function pendingSendsFor(s: Stack, referralIds: string[]): Promise<number> {
  const { rows } = await s.sql.query(
    `SELECT count(*)::int AS n FROM notification_deliveries WHERE status = 'pending' AND channel <> 'in_app' AND referral_id = ANY($1::uuid[])`,
    [referralIds],
  );
  return rows[0].n as number;
}

async function notificationsFor(s: Stack, referralIds: string[]): Promise<number> {
  const { rows } = await s.sql.query(`SELECT count(*)::int AS n FROM notifications WHERE referral_id = ANY($1::uuid[])`, [
    referralIds,
  ]);
  return rows[0].n as number;
}

const FLOW = ['send', 'accept', 'schedule'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('notifications under faults (child processes, private Redis)', () => {
  let s: Stack | undefined;

  afterEach(async () => {
    await s?.procs.stopAll();
    s = undefined;
  });

  it(
    'accepts referrals and actions while Redis is down, and delivers every notification once when it is back',
    async () => {
      s = await startStack();
      const stack = s;
      const patient = await createPatient(stack.http, stack.lmt);

      // Traffic right before the outage: some of it is still queued in Redis when it goes away.
      const before = await burst(stack, patient.id, 4, 2, FLOW);
      await stack.redis.stop('shutdown');

      // Redis down: the API still answers 201/200, and fan-out needs no queue: every intent is
      // published and its in-app notifications written; the email and webhook sends wait as pending
      // deliveries until Redis is back.
      const during = await burst(stack, patient.id, 5, 2, [...FLOW, 'start-care', 'send-outcome']);
      await eventually(
        async () => (await unpublishedFor(stack, during)) === 0 && (await notificationsFor(stack, during)) === during.length * 5,
        'in-app notifications while Redis is down',
      );
      expect(await pendingSendsFor(stack, during)).toBeGreaterThan(0);

      await stack.redis.start();
      const t = await expectAllDeliveredOnce(stack, 'redis stopped', { sinkDuplicatesAllowed: false });
      expect(t.inAppRows).toBe(before.length * 3 + during.length * 5);
      // The outage is logged as JSON lines (a throttled warning), not as reconnect errors on stderr.
      for (const child of stack.children) {
        const lines = (child.stdout + child.stderr).split('\n').filter((line) => line.trim() !== '');
        expect({ process: child.name, notJson: lines.filter((line) => !line.startsWith('{')) }).toEqual({
          process: child.name,
          notJson: [],
        });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'starts a worker while Redis is down: in-app notifications flow at once, the sends once Redis is back',
    async () => {
      s = await startStack();
      const stack = s;
      const patient = await createPatient(stack.http, stack.lmt);
      await stack.redis.stop('shutdown');
      // A worker and an API restarted (redeployed, crashed) during the outage.
      await stack.worker!.stop();
      const worker = await stack.startWorker();
      await stack.startApi();
      const api = stack.api.process;

      const during = await burst(stack, patient.id, 3, 1, FLOW);
      await eventually(
        async () => (await unpublishedFor(stack, during)) === 0 && (await notificationsFor(stack, during)) === during.length * 3,
        'in-app notifications from a worker started while Redis is down',
      );

      // An operator watching the outage: the queue is down, said in the answer, not in stack traces on stderr.
      const ready = await stack.http.get('/health/ready').auth('operator', OPERATOR_PASSWORD).expect(503);
      expect(ready.body.checks.queue.status).toBe('down');
      await sleep(3_000);
      // Nor did the worker print its queues' first connection errors (met while its database still connected).
      for (const child of [api, worker]) {
        const lines = (child.stdout + child.stderr).split('\n').filter((line) => line.trim() !== '');
        expect({ process: child.name, notJson: lines.filter((line) => !line.startsWith('{')) }).toEqual({
          process: child.name,
          notJson: [],
        });
      }

      await stack.redis.start();
      await expectAllDeliveredOnce(stack, 'worker started without redis', { sinkDuplicatesAllowed: false });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'delivers everything once after the worker is SIGKILLed mid-batch and restarted',
    async () => {
      s = await startStack();
      const stack = s;
      const patient = await createPatient(stack.http, stack.lmt);

      // 10 referrals × 4 events (created, sent, accepted, scheduled) = 40 events, 8 flows at a time.
      const load = burst(stack, patient.id, 10, 8, FLOW);
      // Kill it once deliveries are flowing but not finished.
      await eventually(async () => (await tally(stack)).deliveries.delivered >= 4, 'first deliveries');
      await stack.worker!.kill('SIGKILL');
      const atKill = await tally(stack);
      await load;
      await stack.startWorker();

      const t = await expectAllDeliveredOnce(stack, 'worker SIGKILL mid-batch', { sinkDuplicatesAllowed: true });
      console.info(
        `worker SIGKILL mid-batch: at the kill ${atKill.deliveries.delivered} deliveries done, ${atKill.deliveries.pending} pending`,
      );
      expect(t.inAppRows).toBe(30);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'publishes what the API committed before it was SIGKILLed, once a worker runs',
    async () => {
      s = await startStack();
      const stack = s;
      const patient = await createPatient(stack.http, stack.lmt);

      // In this design the API never publishes: "killed between commit and publish" means committed
      // outbox rows with no relay running. No worker, changes through the API, then the API dies.
      await stack.worker!.stop();
      const committed = await burst(stack, patient.id, 5, 2, FLOW);
      expect(await unpublishedFor(stack, committed)).toBe(committed.length * 4);
      await stack.api.process.kill('SIGKILL');

      await stack.startWorker();
      const t = await expectAllDeliveredOnce(stack, 'API killed before publish', { sinkDuplicatesAllowed: false });
      expect(t.inAppRows).toBe(5 * 3);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'loses nothing when the worker is SIGKILLed over and over during a burst (right after it claims outbox rows)',
    async () => {
      s = await startStack();
      const stack = s;
      const patient = await createPatient(stack.http, stack.lmt);

      // Each new worker's relay claims the backlog at start; killing it then rolls the claim back.
      const load = burst(stack, patient.id, 12, 4, FLOW);
      await stack.worker!.kill('SIGKILL');
      let kills = 1;
      for (let i = 0; i < 5; i += 1) {
        const worker = await stack.startWorker();
        await sleep(Math.floor(Math.random() * 400));
        await worker.kill('SIGKILL');
        kills += 1;
      }
      await load;
      await stack.startWorker();
      const t = await expectAllDeliveredOnce(stack, `burst with ${kills} worker kills`, { sinkDuplicatesAllowed: true });
      expect(t.inAppRows).toBe(12 * 3);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'never lets patient data or invitation tokens reach logs (debug level), emails, webhooks, Redis keys and values, or job data',
    async () => {
      s = await startStack({ logLevel: 'debug', hookEvents: { sender: ['*'], recipient: ['*'] } });
      const stack = s;
      const tag = randomBytes(6).toString('hex');
      const canaries = {
        firstName: `Qzfirst${tag}`,
        lastName: `Qzlast${tag}`,
        reason: `Qzreason${tag}`,
        observations: `Qzobs${tag}`,
        note: `Qznote${tag}`,
        outcome: `Qzoutcome${tag}`,
        email: `qzmail${tag}@example.test`,
      };
      // The patient is told by email too (sent, scheduled), greeted without their name.
      const patient = await createPatient(stack.http, stack.lmt, {
        firstName: canaries.firstName,
        lastName: canaries.lastName,
        email: canaries.email,
        consents: [{ scope: 'referral_sharing' }, { scope: 'patient_notifications' }],
      });
      let referral = await createReferral(
        stack.http,
        stack.lmt,
        injuryReferralBody(patient.id, stack.pt.id, {
          reason: `${canaries.reason} after a fall`,
          observations: `${canaries.observations} guarding`,
        }),
      );
      referral = await actOk(stack.http, stack.lmt, referral, 'send');
      referral = await actOk(stack.http, stack.pt, referral, 'accept', { note: `${canaries.note} happy to help` });
      referral = await actOk(stack.http, stack.pt, referral, 'schedule', actionBody('schedule'));
      referral = await actOk(stack.http, stack.pt, referral, 'start-care');
      referral = await actOk(stack.http, stack.pt, referral, 'send-outcome', {
        outcome: { summary: `${canaries.outcome} full range`, recommendations: `${canaries.outcome} maintenance` },
      });
      // The recipient reads it (the API logs and returns the PHI-bearing view).
      await stack.http.get(`/api/v1/referrals/${referral.id}`).set(stack.pt.auth).expect(200);
      // A search by name (in the query string), an invitation link opened in the web app and
      // accepted through the API, and a patient insert PostgreSQL refuses with the row's values.
      await stack.http.get('/api/v1/patients').query({ q: canaries.firstName }).set(stack.lmt.auth).expect(200);
      const invited = await stack.http
        .post('/api/v1/practitioners')
        .set(stack.massage.admin.auth)
        .send(practitionerPayload('massage_therapist', new Date()))
        .expect(201);
      const invitationToken: string = invited.body.invitation.token;
      await stack.http.get('/accept-invitation').query({ token: invitationToken });
      await stack.http.post('/api/v1/auth/accept-invitation').send({ token: invitationToken, password: PASSWORD }).expect(200);
      // Its email went out or was skipped as no longer needed, whichever came first (as in startStack).
      const invitationEmail = await eventually(async () => {
        const { rows } = await stack.sql.query(
          `SELECT status, last_error FROM notification_deliveries WHERE notification_type = 'invitation.created' AND user_id = $1`,
          [invited.body.id],
        );
        return ['delivered', 'skipped'].includes(rows[0]?.status) && rows[0];
      }, 'the invitation email sent or skipped');
      if (invitationEmail.status === 'delivered') stack.expected.emails += 1;
      await stack.sql.query(`CREATE UNIQUE INDEX faults_canary_first_name ON patients (first_name)`);
      const refused = await stack.http
        .post('/api/v1/patients')
        .set(stack.lmt.auth)
        .send({
          firstName: canaries.firstName,
          lastName: canaries.lastName,
          dateOfBirth: isoDateFrom(new Date(), -30 * 365),
          preferredContact: 'phone',
        });
      expect(refused.status).toBe(500);
      await stack.sql.query(`DROP INDEX faults_canary_first_name`);
      for (const event of ['created', 'sent', 'accepted', 'scheduled', 'care_started', 'outcome_sent'])
        stack.expected.event(referral.id, event);
      stack.expected.emails += 2;

      // All of it arrives (in-app and email for sent, accepted, scheduled, outcome_sent; '*' webhooks
      // for every event, the draft's 'created' to the sender clinic only), exactly once.
      await expectAllDeliveredOnce(stack, 'PHI canary', { sinkDuplicatesAllowed: false });

      // Positive controls: the data is really there, the logs really are captured (request lines
      // name the referral), and Redis really holds the jobs, so a zero below means something.
      const stored = await stack.sql.query(
        `SELECT first_name, reason FROM patients p JOIN referrals r ON r.patient_id = p.id WHERE r.id = $1`,
        [referral.id],
      );
      expect(stored.rows[0]).toEqual({ first_name: canaries.firstName, reason: `${canaries.reason} after a fall` });
      const [api, worker] = stack.children;
      expect(api.stdout).toContain(`/api/v1/referrals/${referral.id}/send-outcome`);
      expect(worker.stdout).toContain('ReferLoop worker started');

      const redisDump = await dumpRedis(stack.redis);
      const deliveryIds = (await stack.sql.query(`SELECT id FROM notification_deliveries WHERE channel <> 'in_app'`)).rows.map(
        (r) => r.id as string,
      );
      expect(deliveryIds.length).toBeGreaterThan(0);
      for (const id of deliveryIds) expect(redisDump).toContain(id);

      const places: Record<string, string> = {
        'API stdout/stderr': stack.children
          .filter((c) => c.name.startsWith('api'))
          .map((c) => c.stdout + c.stderr)
          .join('\n'),
        'worker stdout/stderr': stack.children
          .filter((c) => c.name.startsWith('worker'))
          .map((c) => c.stdout + c.stderr)
          .join('\n'),
        emails: stack.smtp.messages
          .filter((m) => !m.to.includes(canaries.email))
          .map((m) => m.raw)
          .join('\n'),
        'patient emails (but for their own address)': stack.smtp.messages
          .filter((m) => m.to.includes(canaries.email))
          .map((m) => m.raw.replaceAll(canaries.email, ''))
          .join('\n'),
        'webhook bodies and headers': stack.hooks.requests.map((r) => `${JSON.stringify(r.headers)}\n${r.body}`).join('\n'),
        'Redis keys and values (job data included)': redisDump,
      };
      const found: string[] = [];
      for (const [place, text] of Object.entries(places)) {
        // The invitation email carries its token to the invitee, by design; nothing else may.
        const secrets = place === 'emails' ? canaries : { ...canaries, invitationToken };
        for (const [what, canary] of Object.entries(secrets)) {
          const n = text.split(canary).length - 1;
          if (n > 0) found.push(`${what} ×${n} in ${place}`);
        }
      }
      expect(found).toEqual([]);
      expect(stack.smtp.messages.filter((m) => m.to.includes(canaries.email))).toHaveLength(2);
    },
    TEST_TIMEOUT_MS,
  );
});

/** Every key of the private Redis with its value, whatever its type (SCAN, then TYPE and a read per type). */
async function dumpRedis(redis: PrivateRedis): Promise<string> {
  const client = redis.client();
  const parts: string[] = [];
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await client.scan(cursor, 'COUNT', 500);
      cursor = nextCursor;
      for (const key of keys) {
        const type = await client.type(key);
        let value: unknown;
        if (type === 'string') value = await client.getBuffer(key).then((b) => b?.toString('utf8'));
        else if (type === 'hash') value = await client.hgetall(key);
        else if (type === 'list') value = await client.lrange(key, 0, -1);
        else if (type === 'set') value = await client.smembers(key);
        else if (type === 'zset') value = await client.zrange(key, 0, -1, 'WITHSCORES');
        else if (type === 'stream') value = await client.xrange(key, '-', '+');
        else value = `(type ${type})`;
        parts.push(`${key} ${type} ${JSON.stringify(value)}`);
      }
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return parts.join('\n');
}
