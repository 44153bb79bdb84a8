'use strict';
// `npm run bench:referrals`: the received box of a physical therapist on 10,000 and on 1,000,000
// referrals (~200 clinics, seeded with SQL: bench/lib/seed-referrals.js), at BENCH_LIST_CONNECTIONS
// and at one connection (the target is the first's p95), then POST /referrals on the
// 1M table as deployed, alternated with B2 (the same four inserts through bare Fastify + pg): B2 #1,
// the API alone, the API with the built worker running next to it (outbox relay, dispatcher,
// deliverer; the headline), B2 #2. For each: CPU per request of the server, the worker, Redis and
// the database's backends, and the NOTIFYs the outbox sent meanwhile.
// Knobs: BENCH_LIST_CONNECTIONS (default 4: a modest concurrency, as bench:admin), BENCH_PT_SHARE (default 2000),
// BENCH_TOTALS (default 10000,1000000; e.g. 10000 for a quick run).
const { Client } = require('pg');
const { login, referralBody, referralParties } = require('../lib/parties');
const { seed } = require('../lib/seed-referrals');
const { setTimeout: delay } = require('node:timers/promises');
const { costed, meanOfRuns, pidsNamed } = require('../lib/cpu');
const { sampleRss } = require('../lib/memory');
const { table } = require('../lib/report');

const CREATE_MIN_RATIO = 0.8;
const CREATE_MAX_P99_MS = 100;
const LIST_MAX_P95_MS = 15;
const LIST_MAX_GROWTH = 1.3;
// BENCH_TOTALS=10000 for a quick run (then the list growth compares 10k with itself).
const TOTALS = (process.env.BENCH_TOTALS ?? '10000,1000000').split(',').map(Number);
const PT_SHARE = Number(process.env.BENCH_PT_SHARE ?? 2_000);
const LIST_CONNECTIONS = Number(process.env.BENCH_LIST_CONNECTIONS ?? 4);
const LIST_PATH = '/api/v1/referrals?box=received&limit=50';

/** The bench PT receives PT_SHARE of the seeded sent-or-later injury referrals (the same rows in every phase). */
async function assignToPt(databaseUrl, pt) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `UPDATE referrals SET recipient_id = $1, recipient_clinic_id = $2
        WHERE id IN (SELECT id FROM referrals WHERE kind = 'injury_care' AND sent_at IS NOT NULL ORDER BY random() LIMIT $3)`,
      [pt.id, pt.clinicId, PT_SHARE],
    );
    await client.query('ANALYZE referrals');
    return rowCount;
  } finally {
    await client.end();
  }
}

async function outboxBacklog(databaseUrl) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) FROM outbox_events WHERE published_at IS NULL')).rows[0].count);
  } finally {
    await client.end();
  }
}

/** Counts NOTIFYs on the outbox channel (listening does not change whether writers notify). */
async function countNotifies(databaseUrl) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let count = 0;
  client.on('notification', () => count++);
  await client.query('LISTEN outbox_events');
  return {
    stop: async () => {
      await client.end();
      return count;
    },
  };
}

async function waitOutboxDrained(databaseUrl, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await outboxBacklog(databaseUrl)) > 0) {
    if (Date.now() > deadline) throw new Error('the worker did not drain the outbox in time');
    await delay(200);
  }
}

module.exports = async function referrals({ api, databaseUrl, startBaseline, startWorker, measure, apiRequest }) {
  const parties = await referralParties(apiRequest);
  const { lmt, pt, patient } = parties;

  const list = [];
  const alone = [];
  let assigned = 0;
  await seed(databaseUrl, pt.clinicId, {
    totals: TOTALS,
    afterPhase: async (total) => {
      if (assigned === 0) assigned = await assignToPt(databaseUrl, pt);
      const token = await login(apiRequest, pt.email);
      const page = await apiRequest('GET', LIST_PATH, { token });
      const headers = { authorization: `Bearer ${token}` };
      const items = page.items?.length ?? page.data?.length ?? '?';
      list.push({
        total,
        items,
        connections: LIST_CONNECTIONS,
        ...(await measure(`${api.url}${LIST_PATH}`, headers, { connections: LIST_CONNECTIONS })),
      });
      // One user opening the box, nothing else asking: the page's own latency, without queueing.
      alone.push({ total, items, connections: 1, ...(await measure(`${api.url}${LIST_PATH}`, headers, { connections: 1 })) });
    },
  });

  // Creation, on the 1M table, both sides inserting the same rows for the same parties, alternated:
  // B2, the API alone, the API with the worker running next to it (as deployed), B2 again.
  const body = JSON.stringify(referralBody(patient.id, pt.id));
  const json = { 'content-type': 'application/json' };
  const redisPids = pidsNamed('redis-server');
  const costedCreate = async (name, url, headers, { serverPid, workerPid }) => ({
    name,
    ...(await costed(() => measure(url, headers, { method: 'POST', body }), { serverPid, workerPid, redisPids, databaseUrl })),
  });
  const measureB2 = async (label) => {
    const b2Server = await startBaseline({
      script: 'fastify-pg-referral.js',
      env: { DATABASE_URL: databaseUrl, SENDER_ID: lmt.id, SENDER_CLINIC_ID: lmt.clinicId, RECIPIENT_CLINIC_ID: pt.clinicId },
      readyPath: '/ready',
    });
    try {
      return await costedCreate(`B2 Fastify + pg POST /referrals (4 inserts, 1 tx) ${label}`, `${b2Server.url}/referrals`, json, {
        serverPid: b2Server.pid,
      });
    } finally {
      await b2Server.stop();
    }
  };
  const measureCreate = async (name, workerPid) => {
    const lmtToken = await login(apiRequest, lmt.email);
    return costedCreate(
      name,
      `${api.url}/api/v1/referrals`,
      { ...json, authorization: `Bearer ${lmtToken}` },
      { serverPid: api.pid, workerPid },
    );
  };
  const b2First = await measureB2('#1');
  const apiOnly = await measureCreate('API POST /api/v1/referrals, API alone');
  // The worker drains what the API-only phase left in the outbox before it is measured.
  const worker = await startWorker();
  await waitOutboxDrained(databaseUrl);
  const workerRss = sampleRss(worker.pid);
  const notifies = await countNotifies(databaseUrl);
  const create = await measureCreate('API POST /api/v1/referrals, with the worker (as deployed)', worker.pid);
  const notified = await notifies.stop();
  const backlog = await outboxBacklog(databaseUrl);
  await waitOutboxDrained(databaseUrl);
  const workerPeakRssMiB = workerRss.stop();
  await worker.stop();
  const b2Second = await measureB2('#2');
  const b2 = meanOfRuns(b2First, b2Second);
  const ms = (n) => (n === null || n === undefined ? 'n/a' : n.toFixed(2));
  const cpuTable = table(
    'lrrrrrr',
    ['CPU ms per request', 'server', 'worker', 'redis', 'postgres', 'total', 'B2 total / total'],
    [b2First, apiOnly, create, b2Second].map((r) => [
      r.name,
      ms(r.cpu.server),
      ms(r.cpu.worker),
      ms(r.cpu.redis),
      ms(r.cpu.postgres),
      ms(r.cpu.total),
      r.cpu.total ? `${(b2.cpu / r.cpu.total).toFixed(2)}x` : 'n/a',
    ]),
  );

  const ratio = create.rps / b2.rps;
  const apiOnlyRatio = apiOnly.rps / b2.rps;
  const [small] = list;
  const big = list[list.length - 1];
  const growth = big.p95 / small.p95;
  const listTable = table(
    'rrrrrrrrr',
    ['referrals', 'PT received', 'page', 'connections', 'rps', 'p50 ms', 'p95 ms', 'p99 ms', `p95 <= ${LIST_MAX_P95_MS} ms`],
    [...list, ...alone].map((r) => [
      r.total.toLocaleString('en-US'),
      String(assigned),
      String(r.items),
      String(r.connections),
      r.rps.toFixed(0),
      r.p50.toFixed(0),
      r.p95.toFixed(0),
      r.p99.toFixed(0),
      r.p95 <= LIST_MAX_P95_MS ? 'met' : 'MISSED',
    ]),
  );
  return {
    rows: [b2First, apiOnly, create, b2Second],
    comparisons: [
      {
        name: 'create referral with worker / B2',
        ratio,
        target: `>= ${CREATE_MIN_RATIO}x, p99 <= ${CREATE_MAX_P99_MS} ms`,
        met: ratio >= CREATE_MIN_RATIO && create.p99 <= CREATE_MAX_P99_MS,
      },
      {
        name: 'create referral, API alone / B2',
        ratio: apiOnlyRatio,
        target: `>= ${CREATE_MIN_RATIO}x, p99 <= ${CREATE_MAX_P99_MS} ms`,
        met: apiOnlyRatio >= CREATE_MIN_RATIO && apiOnly.p99 <= CREATE_MAX_P99_MS,
      },
      { name: 'received box p95, 1M / 10k', ratio: growth, target: `<= ${LIST_MAX_GROWTH}x`, met: growth <= LIST_MAX_GROWTH },
    ],
    notes: [
      `GET ${LIST_PATH} as the PT, at ${LIST_CONNECTIONS} connections (the target's figure), then at 1 (one user, nothing else asking); latencies whole ms:\n${listTable}`,
      `what ran: the API (server mode, one process) on PostgreSQL 127.0.0.1 with ${TOTALS.map((t) => t.toLocaleString('en-US')).join(' then ')} seeded referrals; ` +
        `creation alternated B2 #1 → API alone → API + worker (outbox relay, dispatcher, deliverer in their own process, Redis) → B2 #2; ` +
        `ratios against the mean of the two B2 runs (${b2First.rps.toFixed(0)} and ${b2Second.rps.toFixed(0)} rps)`,
      `create, as deployed: p99 ${create.p99} ms (<= ${CREATE_MAX_P99_MS} ms: ${create.p99 <= CREATE_MAX_P99_MS ? 'met' : 'MISSED'}); ` +
        `outbox rows not yet published when the load stopped: ${backlog}; outbox NOTIFYs sent during warm-up and load: ${notified} (${create.requests} referrals measured)`,
      `CPU per request (whole-process CPU time over warm-up and load / requests; Redis is shared with anything else running; ` +
        `B2 total / total is what the throughput ratio would be if the machine were CPU-bound and did nothing else):\n${cpuTable}`,
      `worker peak resident memory (VmRSS): ${workerPeakRssMiB === null ? 'n/a' : `${workerPeakRssMiB.toFixed(1)} MiB`}`,
    ],
  };
};
