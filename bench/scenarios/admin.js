'use strict';
// `npm run bench:admin`: GET /api/v1/admin/metrics on 1,000,000 referrals (with their timelines)
// across 200 clinics (bench/lib/seed-referrals.js), at a modest concurrency, next to the API's floor
// measured the same way (GET /clinics/me, an authenticated one-row read). Target: p95 <= 100 ms for
// the default window (the last 30 days).
// Knobs: BENCH_REFERRALS (default 1000000), BENCH_CONNECTIONS (default 4), BENCH_EXPLAIN=1 prints
// the plan of the metrics statement for the default window.
const { join } = require('node:path');
const { Client } = require('pg');
const { cpuBusyFraction } = require('../lib/machine');
const { CLINICS, seed } = require('../lib/seed-referrals');
const { table } = require('../lib/report');

const REFERRALS = Number(process.env.BENCH_REFERRALS ?? 1_000_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const P95_TARGET_MS = 100;
const METRICS_SERVICE = join(__dirname, '../../dist/apps/api/libs/admin/src/admin-metrics.service.js');

/** The plan of the statement behind GET /admin/metrics (the built one), for the last 30 days. */
async function explainMetrics(databaseUrl, clinicId) {
  const { METRICS_SQL } = require(METRICS_SERVICE);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const now = new Date();
    const params = [clinicId, new Date(now.getTime() - 30 * 86_400_000), now, now, 96 * 3_600_000, 24 * 3_600_000];
    await client.query(METRICS_SQL, params);
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${METRICS_SQL}`, params);
    console.log(`\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
  } finally {
    await client.end();
  }
}

module.exports = async function admin({ api, databaseUrl, measure, apiRequest, tag }) {
  // The measured clinic signs up through the API (a real admin with a password); the other clinics,
  // all practitioners, patients and referrals are seeded with SQL.
  const admin = { email: `bench-admin-${tag}@example.com`, password: 'bench-password-1', fullName: 'Bench Admin' };
  const registered = await apiRequest('POST', '/api/v1/auth/register-clinic', {
    expect: 201,
    body: {
      clinic: {
        name: `Bench Clinic 1 ${tag}`,
        address: { line1: '100 Congress Ave', city: 'Austin', region: 'TX', postalCode: '78701', country: 'US' },
        phone: '+1 512 555 0100',
        timezone: 'America/Chicago',
      },
      admin,
    },
  });
  const seedStarted = Date.now();
  console.log(`bench: seeding ${REFERRALS.toLocaleString('en-US')} referrals across ${CLINICS} clinics`);
  await seed(databaseUrl, registered.clinic.id, { totals: [REFERRALS] });
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  console.log(`bench: seeding took ${seedSeconds.toFixed(1)} s`);

  // A fresh token: seeding a slow machine can outlast the 15-minute access token.
  const { accessToken: token } = await apiRequest('POST', '/api/v1/auth/login', {
    body: { email: admin.email, password: admin.password },
  });
  if (process.env.BENCH_EXPLAIN === '1') await explainMetrics(databaseUrl, registered.clinic.id);
  const yearAgo = new Date(Date.now() - 365 * 86_400_000).toISOString();
  const targets = [
    { name: 'GET /clinics/me (floor)', path: '/api/v1/clinics/me' },
    { name: 'GET /admin/metrics (last 30 days)', path: '/api/v1/admin/metrics', goal: true },
    { name: 'GET /admin/metrics (last 365 days)', path: `/api/v1/admin/metrics?from=${encodeURIComponent(yearAgo)}` },
  ];
  // Seeding leaves the machine busy for a while (autovacuum, checkpoints): say how busy.
  const busy = await cpuBusyFraction(2_000);
  const rows = [];
  for (const target of targets) {
    const sample = await apiRequest('GET', target.path, { token });
    const figures = await measure(`${api.url}${target.path}`, { authorization: `Bearer ${token}` }, { connections: CONNECTIONS });
    rows.push({ ...target, inWindow: sample.clinic?.total ?? null, ...figures });
  }
  const metrics = rows.find((r) => r.goal);
  const latencyTable = table(
    'lrrrrrr',
    ['request', 'referrals', 'requests', 'rps', 'p50 ms', 'p95 ms', 'p99 ms'],
    rows.map((r) => [
      r.name,
      r.inWindow === null ? '-' : String(r.inWindow),
      String(r.requests),
      r.rps.toFixed(0),
      r.p50.toFixed(0),
      r.p95.toFixed(0),
      r.p99.toFixed(0),
    ]),
  );
  return {
    rows: [],
    comparisons: [
      {
        name: 'metrics p95 / 100 ms',
        ratio: metrics.p95 / P95_TARGET_MS,
        target: `<= 1.00x (p95 <= ${P95_TARGET_MS} ms, last 30 days)`,
        met: metrics.p95 <= P95_TARGET_MS,
      },
    ],
    notes: [
      `${REFERRALS.toLocaleString('en-US')} referrals, ${CLINICS} clinics, seeded in ${seedSeconds.toFixed(0)} s; ${CONNECTIONS} connections; CPUs ${
        busy === null ? 'n/a' : `${(busy * 100).toFixed(0)} % busy`
      } before measuring:\n${latencyTable}`,
    ],
  };
};
