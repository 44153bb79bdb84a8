'use strict';
// `npm run bench:notifications`: the built API and the built worker (parts 1 and 2 in-app only;
// part 3 with SMTP and a webhook, to receivers of the bench's own on 127.0.0.1).
// 1. Latency: drafts prepared first, then `send` at a paced SEND_RATE per second for SEND_SECONDS;
//    for each send, from its timeline event (referral_events.occurred_at, the API's clock as the send
//    is written) to the recipient's in-app delivery (notification_deliveries.delivered_at, the
//    worker's clock as the relay fans it out; the in-app notification itself carries the event's
//    time, so it cannot tell), both processes on this machine's clock; the HTTP answer times are shown apart.
// 2. Throughput: OUTBOX_ROWS 'referral.sent' outbox rows inserted with the worker stopped, then the
//    worker started and timed until every notification exists; next to it a raw BullMQ no-op drain
//    of as many jobs at concurrency 10 on the same Redis, another prefix: what merely carrying each
//    event through a queue would cost (the relay fans out in PostgreSQL, with no queue hop).
// 3. Sends: a burst of DELIVERY_EVENTS events, each an email to the PT and a webhook to their
//    clinic, into a running worker, timed until every send settled; next to it raw BullMQ at the
//    delivery processor's concurrency making the same sends (bullmq-drain.js, SEND=sends): what
//    claiming, rendering and recording each send in PostgreSQL costs on top of sending it.
const { execFile } = require('node:child_process');
const { join } = require('node:path');
const { setTimeout: delay } = require('node:timers/promises');
const { promisify } = require('node:util');
const { Client } = require('pg');
const { cpuTime, databaseCpu, pidsNamed } = require('../lib/cpu');
const { referralBody, referralParties, login } = require('../lib/parties');
const { startSmtpReceiver, startWebhookReceiver } = require('../lib/receivers');
const { deleteKeysWithPrefix } = require('../lib/redis');
const { table } = require('../lib/report');

const SEND_RATE = Number(process.env.BENCH_SEND_RATE ?? 200);
const SEND_SECONDS = Number(process.env.BENCH_SEND_SECONDS ?? 30);
const OUTBOX_ROWS = Number(process.env.BENCH_OUTBOX_ROWS ?? 20_000);
const DRAFT_CONCURRENCY = 16;
const P95_TARGET_MS = 100;
const P99_TARGET_MS = 250;
const THROUGHPUT_TARGET = 1_000;
const WAIT_TIMEOUT_MS = 180_000;
const DELIVERY_EVENTS = Number(process.env.BENCH_DELIVERY_EVENTS ?? 2_000);
/** The delivery processor's (libs/notifications/src/worker/notification.processors.ts). */
const DELIVERY_CONCURRENCY = 20;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function withClient(databaseUrl, fn) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Polls `count()` until it reaches `target`; returns when (ms, hrtime-based) or throws on timeout. */
async function waitForCount(count, target, label) {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const n = await count();
    if (n >= target) return;
    if (Date.now() > deadline) throw new Error(`${label}: ${n} of ${target} after ${WAIT_TIMEOUT_MS} ms`);
    await delay(50);
  }
}

async function post(url, token, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

module.exports = async function notifications({ api, databaseUrl, apiRequest, startWorker, redisUrl, tag, cleanups }) {
  const { recipientClinic, lmt, pt, patient } = await referralParties(apiRequest);
  // Raw BullMQ drains on the same Redis, each under a prefix of its own, in a process of its own.
  let raws = 0;
  const rawDrain = async (env) => {
    const prefix = `bench_${tag}_raw${(raws += 1)}`;
    cleanups.push(() => deleteKeysWithPrefix(redisUrl, prefix));
    const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, '../baselines/bullmq-drain.js')], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', REDIS_URL: redisUrl, PREFIX: prefix, ...env },
    });
    return JSON.parse(stdout.trim().split('\n').pop());
  };
  let worker = await startWorker();

  // Drafts first (not measured).
  const total = SEND_RATE * SEND_SECONDS;
  const drafts = [];
  const body = referralBody(patient.id, pt.id);
  await Promise.all(
    Array.from({ length: DRAFT_CONCURRENCY }, async () => {
      while (drafts.length < total) {
        drafts.push(null);
        const slot = drafts.length - 1;
        const res = await post(`${api.url}/api/v1/referrals`, lmt.accessToken, body);
        if (res.status !== 201) throw new Error(`creating a draft answered ${res.status}: ${JSON.stringify(res.body)}`);
        drafts[slot] = { id: res.body.id, version: res.body.version };
      }
    }),
  );
  console.log(`bench: ${total} drafts ready; sending ${SEND_RATE}/s for ${SEND_SECONDS} s`);

  // Paced sends: send i starts at t0 + i / SEND_RATE, whatever the earlier ones are doing.
  const sent = new Set();
  const failures = [];
  const t0 = performance.now();
  const lateness = [];
  const responseTimes = [];
  await Promise.all(
    drafts.map(async (draft, i) => {
      const due = t0 + (i * 1000) / SEND_RATE;
      const wait = due - performance.now();
      if (wait > 0) await delay(wait);
      lateness.push(performance.now() - due);
      const started = performance.now();
      try {
        const res = await post(`${api.url}/api/v1/referrals/${draft.id}/send`, lmt.accessToken, { version: draft.version });
        if (res.status !== 200) failures.push(String(res.status));
        else {
          sent.add(draft.id);
          responseTimes.push(performance.now() - started);
        }
      } catch (error) {
        // An overloaded API (pool wait timeouts, refused sockets) is a finding, not a crash of the bench.
        failures.push(error.cause?.code ?? error.name);
      }
    }),
  );
  const sendSeconds = (performance.now() - t0) / 1000;
  const failureKinds = {};
  for (const f of failures) failureKinds[f] = (failureKinds[f] ?? 0) + 1;
  if (sent.size === 0) throw new Error(`every send failed: ${JSON.stringify(failureKinds)}`);
  const responseSorted = responseTimes.sort((a, b) => a - b);

  const ids = [...sent];
  const latencies = await withClient(databaseUrl, async (c) => {
    const count = async () =>
      Number(
        (
          await c.query(
            `SELECT count(*) FROM notifications WHERE type = 'sent' AND user_id = $1 AND referral_id = ANY($2::uuid[])`,
            [pt.id, ids],
          )
        ).rows[0].count,
      );
    await waitForCount(count, ids.length, 'in-app notifications of the sends');
    // Both times are the application's (one machine, one clock), each taken as its row is written:
    // the send's timeline event and the recipient's in-app delivery, written with the notification.
    const { rows } = await c.query(
      `SELECT extract(epoch FROM min(d.delivered_at) - e.occurred_at) * 1000 AS ms
         FROM notification_deliveries d JOIN referral_events e ON e.referral_id = d.referral_id AND e.type = 'sent'
        WHERE d.channel = 'in_app' AND d.notification_type = 'referral.sent' AND d.user_id = $1 AND d.referral_id = ANY($2::uuid[])
        GROUP BY d.referral_id, e.occurred_at`,
      [pt.id, ids],
    );
    return rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
  });
  const lateSorted = lateness.sort((a, b) => a - b);
  const latency = {
    sends: latencies.length,
    achievedRate: latencies.length / sendSeconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    pacingP99: percentile(lateSorted, 99),
    sendP50: percentile(responseSorted, 50),
    sendP99: percentile(responseSorted, 99),
    failed: failures.length,
  };

  console.log(
    `bench: latency ${JSON.stringify(latency)}${failures.length > 0 ? `, failed ${JSON.stringify(failureKinds)}` : ''}`,
  );

  // Throughput: outbox rows for the sent referrals, inserted with the worker stopped.
  await worker.stop();
  const perEvent = await withClient(databaseUrl, async (c) => {
    const { rows } = await c.query(
      `SELECT count(*)::int AS n FROM notifications WHERE type = 'sent' AND referral_id = ANY($1::uuid[])`,
      [ids],
    );
    const per = rows[0].n / ids.length;
    await c.query(
      `INSERT INTO outbox_events (type, referral_id, payload)
       SELECT 'referral.sent', ($1::uuid[])[1 + (g % array_length($1::uuid[], 1))],
              jsonb_build_object('fromStatus', 'draft', 'toStatus', 'sent', 'actorId', $2::text)
         FROM generate_series(1, $3) g`,
      [ids, lmt.id, OUTBOX_ROWS],
    );
    return per;
  });
  const before = await withClient(databaseUrl, async (c) =>
    Number((await c.query(`SELECT count(*) FROM notifications`)).rows[0].count),
  );
  const expected = before + Math.round(OUTBOX_ROWS * perEvent);
  const spawned = performance.now();
  worker = await startWorker();
  const ready = performance.now();
  await withClient(databaseUrl, (c) =>
    waitForCount(
      async () => Number((await c.query(`SELECT count(*) FROM notifications`)).rows[0].count),
      expected,
      'outbox drain',
    ),
  );
  const drainSeconds = (performance.now() - ready) / 1000;
  const startupSeconds = (ready - spawned) / 1000;
  const created = expected - before;
  await worker.stop();
  console.log(`bench: worker drained ${created} notifications in ${drainSeconds.toFixed(2)} s`);

  const raw = await rawDrain({ JOBS: String(OUTBOX_ROWS), CONCURRENCY: '10' });

  // Email and webhook sends: the PT's clinic subscribes a webhook to `referral.sent`, the worker
  // starts with SMTP on and works off a first burst of send events (its connections and prepared
  // statements warm, as in a worker that has been running), then a burst of DELIVERY_EVENTS is
  // timed from its insert until every email and webhook of it has settled. Next to it, raw BullMQ
  // at the delivery processor's concurrency making only the same sends to the same receivers.
  const webhookReceiver = await startWebhookReceiver();
  cleanups.push(webhookReceiver.close);
  const smtpReceiver = await startSmtpReceiver();
  cleanups.push(smtpReceiver.close);
  await apiRequest('POST', '/api/v1/webhooks', {
    expect: 201,
    token: await login(apiRequest, recipientClinic.user.email),
    body: { url: webhookReceiver.url, eventTypes: ['referral.sent'] },
  });
  /** Inserts `count` send events at once and waits until each email and webhook they make has settled. */
  const burst = (count) =>
    withClient(databaseUrl, async (c) => {
      const { rows } = await c.query(
        `INSERT INTO outbox_events (type, referral_id, payload)
         SELECT 'referral.sent', ($1::uuid[])[1 + (g % array_length($1::uuid[], 1))],
                jsonb_build_object('fromStatus', 'draft', 'toStatus', 'sent', 'actorId', $2::text)
           FROM generate_series(1, $3) g RETURNING id`,
        [ids, lmt.id, count],
      );
      const events = rows.map((r) => r.id);
      const sendsOf = async () =>
        (
          await c.query(
            `SELECT channel, count(*)::int AS total, count(*) FILTER (WHERE status <> 'pending')::int AS settled,
                    count(*) FILTER (WHERE status = 'delivered')::int AS delivered
               FROM notification_deliveries WHERE outbox_event_id = ANY($1::uuid[]) AND channel IN ('email', 'webhook')
              GROUP BY channel`,
            [events],
          )
        ).rows;
      const published = async () =>
        Number(
          (await c.query(`SELECT count(*) FROM outbox_events WHERE id = ANY($1::uuid[]) AND published_at IS NOT NULL`, [events]))
            .rows[0].count,
        );
      await waitForCount(published, count, 'fan-out of the send events');
      // The relay writes an event's deliveries as it publishes it: from here on their number is fixed.
      const sum = async (member) => (await sendsOf()).reduce((n, r) => n + r[member], 0);
      // Settled: delivered, or failed or skipped (reported below).
      await waitForCount(() => sum('settled'), await sum('total'), 'email and webhook sends');
      const byChannel = Object.fromEntries((await sendsOf()).map((r) => [r.channel, r]));
      return { email: byChannel.email ?? { total: 0, delivered: 0 }, webhook: byChannel.webhook ?? { total: 0, delivered: 0 } };
    });
  worker = await startWorker({ SMTP_URL: smtpReceiver.url, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
  await burst(Math.ceil(DELIVERY_EVENTS / 10));
  webhookReceiver.reset();
  smtpReceiver.reset();
  const redisPids = pidsNamed('redis-server');
  const databaseBusy = await databaseCpu(databaseUrl);
  const redisBusy = cpuTime(redisPids);
  const workerBusy = cpuTime([worker.pid]);
  const deliveryStart = performance.now();
  const { email: emails, webhook: webhooks } = await burst(DELIVERY_EVENTS);
  const deliverySeconds = (performance.now() - deliveryStart) / 1000;
  const workerCpu = workerBusy.stop();
  const redisCpu = redisBusy.stop();
  const databaseCpuSeconds = await databaseBusy.stop();
  await worker.stop();
  if (emails.total === 0 || webhooks.total === 0) {
    throw new Error(`the send events made ${emails.total} emails and ${webhooks.total} webhooks; both are needed`);
  }
  const receivedCounts = { webhook: webhookReceiver.counts(), email: smtpReceiver.counts() };
  // Redis's CPU over the baseline's whole run: its jobs are queued and drained there.
  const rawRedisBusy = cpuTime(redisPids);
  const rawSends = await rawDrain({
    SEND: 'sends',
    JOBS: String(emails.total + webhooks.total),
    WEBHOOK_JOBS: String(webhooks.total),
    CONCURRENCY: String(DELIVERY_CONCURRENCY),
    WEBHOOK_URL: webhookReceiver.url,
    SMTP_URL: smtpReceiver.url,
  });
  const rawRedisCpu = rawRedisBusy.stop();
  const sendsTotal = emails.total + webhooks.total;
  const perSend = (seconds) => ((seconds * 1000) / sendsTotal).toFixed(2);
  const sendsPerSecond = sendsTotal / deliverySeconds;
  console.log(`bench: worker sent ${emails.total} emails and ${webhooks.total} webhooks in ${deliverySeconds.toFixed(2)} s`);
  const notificationsPerSecond = created / drainSeconds;
  const eventsPerSecond = OUTBOX_ROWS / drainSeconds;
  const latencyTable = table(
    'rrrrrrrrrrl',
    [
      'sends ok',
      'failed',
      'ok/s',
      'HTTP p50/p99 ms',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'pacing p99 ms',
      'targets',
      'result',
    ],
    [
      [
        String(latency.sends),
        String(latency.failed),
        latency.achievedRate.toFixed(0),
        `${latency.sendP50.toFixed(0)}/${latency.sendP99.toFixed(0)}`,
        latency.p50.toFixed(1),
        latency.p95.toFixed(1),
        latency.p99.toFixed(1),
        latency.max.toFixed(1),
        latency.pacingP99.toFixed(1),
        `p95 <= ${P95_TARGET_MS}, p99 <= ${P99_TARGET_MS}`,
        latency.p95 <= P95_TARGET_MS && latency.p99 <= P99_TARGET_MS ? 'met' : 'MISSED',
      ],
    ],
  );
  const throughputTable = table(
    'lrrrr',
    ['drain', 'items', 'seconds', 'per second', 'vs raw BullMQ'],
    [
      [
        `worker: ${OUTBOX_ROWS} outbox rows -> notifications`,
        String(created),
        drainSeconds.toFixed(2),
        notificationsPerSecond.toFixed(0),
        `${(eventsPerSecond / raw.jobsPerSecond).toFixed(2)}x`,
      ],
      ['raw BullMQ no-op jobs, concurrency 10', String(raw.jobs), raw.seconds.toFixed(2), raw.jobsPerSecond.toFixed(0), '1.00x'],
    ],
  );
  const sendsTable = table(
    'lrrrrrrr',
    ['sends (email + webhook)', 'items', 'seconds', 'per second', 'vs raw sends', 'CPU ms/send: sender', 'postgres', 'redis'],
    [
      [
        `worker: ${DELIVERY_EVENTS} outbox rows -> sends`,
        String(sendsTotal),
        deliverySeconds.toFixed(2),
        sendsPerSecond.toFixed(0),
        `${(sendsPerSecond / rawSends.jobsPerSecond).toFixed(2)}x`,
        perSend(workerCpu),
        perSend(databaseCpuSeconds),
        perSend(redisCpu),
      ],
      [
        `raw BullMQ: the same sends, concurrency ${DELIVERY_CONCURRENCY}`,
        String(rawSends.jobs),
        rawSends.seconds.toFixed(2),
        rawSends.jobsPerSecond.toFixed(0),
        '1.00x',
        perSend(rawSends.cpuSeconds),
        '-',
        perSend(rawRedisCpu),
      ],
    ],
  );
  const { email: gotEmails, webhook: gotWebhooks } = receivedCounts;
  const received =
    `delivered: ${emails.delivered} of ${emails.total} emails, ${webhooks.delivered} of ${webhooks.total} webhooks; ` +
    `the receivers got ${gotEmails.received} messages (${gotEmails.distinct} distinct Message-IDs) and ` +
    `${gotWebhooks.received} webhook requests (${gotWebhooks.distinct} distinct delivery ids): ` +
    `repeats ${gotEmails.received - gotEmails.distinct + gotWebhooks.received - gotWebhooks.distinct}`;
  return {
    rows: [],
    comparisons: [
      {
        name: 'notifications/s',
        ratio: notificationsPerSecond / THROUGHPUT_TARGET,
        target: `>= 1.00x of ${THROUGHPUT_TARGET}/s`,
        met: notificationsPerSecond >= THROUGHPUT_TARGET,
      },
    ],
    notes: [
      `send committed -> in-app notification written (one machine clock), ${SEND_RATE}/s for ${SEND_SECONDS} s:\n${latencyTable}${
        failures.length > 0 ? `\nfailed sends by kind: ${JSON.stringify(failureKinds)}` : ''
      }`,
      `outbox drain (worker started after the rows were inserted; ${perEvent} notification(s) per event; worker start-up ${startupSeconds.toFixed(1)} s not counted):\n${throughputTable}`,
      `email and webhook sends (a burst of ${DELIVERY_EVENTS} 'referral.sent' events inserted at once into a running worker with SMTP on, after a first burst of a tenth of that; timed from the insert until every send settled; receivers on 127.0.0.1 that answer at once, in the bench's own process; the worker's CPU includes its relay's fan-out, Redis's whatever else used it):\n${sendsTable}\n${received}`,
    ],
  };
};

/** The API accepts the loopback webhook receiver as a target (an http URL on an allow-listed host). */
module.exports.apiEnv = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
