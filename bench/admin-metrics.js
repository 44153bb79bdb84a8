'use strict';
// `npm run bench:admin`: GET /api/v1/admin/metrics on a database of 1,000,000 referrals (with their
// timelines) across 200 clinics, against the built API. Prints p50/p95/p99 at a modest concurrency.
// Target: p95 <= 100 ms for the default window (the last 30 days).
//
// Knobs (environment): BENCH_REFERRALS (default 1000000), BENCH_CONNECTIONS (default 4),
// BENCH_DURATION (seconds, default 10), BENCH_KEEP_DB=1 keeps the database afterwards,
// BENCH_EXPLAIN=1 prints EXPLAIN (ANALYZE, BUFFERS) of the metrics statement for the default window,
// BENCH_DIST=<dir> runs a copy of dist/ (with node_modules reachable from it) instead of dist/.
const { fork } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const os = require('node:os');
const { join } = require('node:path');
const { createCleanups, ensureBuilt } = require('./lib/lifecycle');
const { Client } = require('pg');
const { createBenchDatabase, migrate } = require('./lib/database');
const { requestJson } = require('./lib/http');
const { startServer } = require('./lib/processes');
const { cpuBusyFraction } = require('./lib/machine');
const { CLINICS, seed } = require('./lib/seed-referrals');
const { deleteKeysWithPrefix } = require('./lib/redis');
const { writeJson } = require('./lib/report');

const ROOT = join(__dirname, '..');
// BENCH_DIST: a copy of dist/ to run instead (a build started meanwhile replaces dist/ under a running bench).
const DIST = process.env.BENCH_DIST ?? join(ROOT, 'dist');
const API_DIST = join(DIST, 'apps/api/apps/api/src');
const RESULTS_FILE = join(__dirname, 'results/admin-metrics.json');
const REDIS_URL = 'redis://127.0.0.1:6379';
const REFERRALS = Number(process.env.BENCH_REFERRALS ?? 1_000_000);
const LOAD = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 4),
  warmupSeconds: 2,
  durationSeconds: Number(process.env.BENCH_DURATION ?? 10),
};
const P95_TARGET_MS = 100;

// ---------------------------------------------------------------------------------------------
// Load child: autocannon in a process of its own (2 cores: the load generator must not share an
// event loop with the orchestrator). It keeps every response time, so any percentile is exact
// (autocannon's summary has p50/p97.5/p99 but no p95).
if (process.argv[2] === '--load-child') {
  const autocannon = require('autocannon');
  process.once('message', async ({ url, headers, connections, warmupSeconds, durationSeconds }) => {
    try {
      await autocannon({ url, headers, connections, duration: warmupSeconds });
      const times = [];
      const instance = autocannon({ url, headers, connections, duration: durationSeconds });
      instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
      const r = await instance;
      process.send({ result: { times, rps: r.requests.average, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts } }, () =>
        process.exit(0),
      );
    } catch (error) {
      process.send({ error: error instanceof Error ? error.message : String(error) }, () => process.exit(0));
    }
  });
  return;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function measureLatency(url, headers) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--load-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answered = false;
    child.once('message', (answer) => {
      answered = true;
      if (answer.error) return reject(new Error(`load on ${url} failed: ${answer.error}`));
      const { times, rps, non2xx, errors, timeouts } = answer.result;
      if (non2xx + errors + timeouts > 0)
        return reject(new Error(`load on ${url}: ${non2xx} non-2xx, ${errors} errors, ${timeouts} timeouts`));
      const sorted = times.sort((a, b) => a - b);
      resolve({
        requests: sorted.length,
        rps,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1],
      });
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (!answered) reject(new Error(`load generator exited (code ${code}) without a result`));
    });
    child.send({ url, headers, ...LOAD });
  });
}

// ---------------------------------------------------------------------------------------------
// Seeding: bench/lib/seed-referrals.js (shared with bench/scenarios/referrals.js).

/** The plan of the statement behind GET /admin/metrics (the built one), for the last 30 days. */
async function explainMetrics(databaseUrl, clinicId) {
  const { METRICS_SQL } = require(join(DIST, 'apps/api/libs/admin/src/admin-metrics.service.js'));
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const now = new Date();
    const params = [clinicId, new Date(now.getTime() - 30 * 86_400_000), now, now, 96 * 3_600_000];
    await client.query(METRICS_SQL, params);
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${METRICS_SQL}`, params);
    console.log(`\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------

const cleanups = createCleanups();
const cleanUp = cleanups.run;

async function main() {
  ensureBuilt(API_DIST);
  const tag = randomBytes(4).toString('hex');
  const database = await createBenchDatabase();
  if (process.env.BENCH_KEEP_DB === '1')
    console.log(`bench: keeping database ${database.name} (BENCH_KEEP_DB=1); drop it yourself`);
  else cleanups.push(database.drop);
  const appEnv = { NODE_ENV: 'production', DATABASE_URL: database.url, REDIS_URL, JWT_SECRET: randomBytes(32).toString('hex') };
  console.log(`bench: database ${database.name}, migrating`);
  await migrate(join(API_DIST, 'migrate.js'), appEnv);

  const queuePrefix = `bench_${tag}`;
  cleanups.push(() => deleteKeysWithPrefix(REDIS_URL, queuePrefix));
  const api = await startServer({
    name: 'api',
    script: join(API_DIST, 'main.js'),
    readyPath: '/health/ready',
    env: { ...appEnv, LOG_LEVEL: 'warn', AUTH_RATE_LIMIT_PER_MINUTE: '100000', QUEUE_PREFIX: queuePrefix },
  });
  cleanups.push(api.stop);
  const apiRequest = (method, path, options) => requestJson(api.url, method, path, options);

  // The measured clinic signs up through the API (a real admin with a password); the other 199
  // clinics, all practitioners, patients and referrals are seeded with SQL.
  const registered = await apiRequest('POST', '/api/v1/auth/register-clinic', {
    expect: 201,
    body: {
      clinic: {
        name: `Bench Clinic 1 ${tag}`,
        address: { line1: '100 Congress Ave', city: 'Austin', region: 'TX', postalCode: '78701', country: 'US' },
        phone: '+1 512 555 0100',
        timezone: 'America/Chicago',
      },
      admin: { email: `bench-admin-${tag}@example.com`, password: 'bench-password-1', fullName: 'Bench Admin' },
    },
  });
  const seedStarted = Date.now();
  console.log(`bench: seeding ${REFERRALS.toLocaleString('en-US')} referrals across ${CLINICS} clinics`);
  await seed(database.url, registered.clinic.id, { totals: [REFERRALS] });
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  console.log(`bench: seeding took ${seedSeconds.toFixed(1)} s`);

  // A fresh token: seeding a slow machine can outlast the 15-minute access token.
  const { accessToken: token } = await apiRequest('POST', '/api/v1/auth/login', {
    body: { email: `bench-admin-${tag}@example.com`, password: 'bench-password-1' },
  });
  const headers = { authorization: `Bearer ${token}` };
  const yearAgo = new Date(Date.now() - 365 * 86_400_000).toISOString();
  const scenarios = [
    // The API's floor on this machine, measured the same way: an authenticated one-row read.
    { name: 'GET /clinics/me (baseline)', path: '/api/v1/clinics/me', target: false },
    { name: 'GET /admin/metrics (default: last 30 days)', path: '/api/v1/admin/metrics', target: true },
    {
      name: 'GET /admin/metrics (last 365 days)',
      path: `/api/v1/admin/metrics?from=${encodeURIComponent(yearAgo)}`,
      target: false,
    },
  ];
  if (process.env.BENCH_EXPLAIN === '1') await explainMetrics(database.url, registered.clinic.id);
  const busy = await cpuBusyFraction(2_000);
  console.log(
    `bench: CPUs ${busy === null ? 'n/a' : `${(busy * 100).toFixed(0)} % busy`} before measuring (other work skews the figures)`,
  );
  const rows = [];
  for (const { target, ...scenario } of scenarios) {
    const sample = await apiRequest('GET', scenario.path, { token });
    const latency = await measureLatency(`${api.url}${scenario.path}`, headers);
    rows.push({ ...scenario, referralsInWindow: sample.clinic?.total ?? null, target, ...latency });
  }

  console.log(
    `\n${REFERRALS.toLocaleString('en-US')} referrals, ${CLINICS} clinics; ${LOAD.connections} connections, ${LOAD.durationSeconds} s each (after ${LOAD.warmupSeconds} s warm-up)`,
  );
  console.log(
    `machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, node ${process.version}; seeding took ${seedSeconds.toFixed(0)} s; CPUs ${busy === null ? 'n/a' : `${(busy * 100).toFixed(0)} %`} busy before measuring\n`,
  );
  const fixed = (n) => n.toFixed(1);
  const columns = [
    ['scenario', 44, (r) => r.name],
    ['referrals', 9, (r) => (r.referralsInWindow === null ? '-' : String(r.referralsInWindow))],
    ['requests', 8, (r) => String(r.requests)],
    ['rps', 6, (r) => r.rps.toFixed(0)],
    ['p50 ms', 7, (r) => fixed(r.p50)],
    ['p95 ms', 7, (r) => fixed(r.p95)],
    ['p99 ms', 7, (r) => fixed(r.p99)],
    ['max ms', 7, (r) => fixed(r.max)],
    [`p95 <= ${P95_TARGET_MS} ms`, 14, (r) => (!r.target ? '-' : r.p95 <= P95_TARGET_MS ? 'met' : 'MISSED')],
  ];
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(columns[i][1]) : c.padStart(columns[i][1]))).join('  ');
  console.log(line(columns.map(([title]) => title)));
  for (const r of rows) console.log(line(columns.map(([, , cell]) => cell(r))));
  console.log('');
  writeJson(RESULTS_FILE, {
    finishedAt: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model },
    referrals: REFERRALS,
    clinics: CLINICS,
    seedSeconds,
    load: LOAD,
    cpuBusyBeforeMeasuring: busy,
    rows,
  });
  console.log(`bench: results written to ${RESULTS_FILE}`);
}

if (require.main === module) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`bench: ${signal}, cleaning up`);
      cleanUp().finally(() => process.exit(130));
    });
  }
  main()
    .then(cleanUp)
    .catch(async (error) => {
      console.error(`bench: failed: ${error.stack ?? error.message}`);
      await cleanUp();
      process.exitCode = 1;
    });
}
