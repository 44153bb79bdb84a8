'use strict';
// `npm run bench:referrals`: the received box of a physical therapist on 10,000 and on 1,000,000
// referrals (~200 clinics, seeded with SQL: bench/lib/seed-referrals.js), then POST /referrals
// against B2 (the same four inserts through bare Fastify + pg) on the 1M table.
// Knobs: BENCH_LIST_CONNECTIONS (default 4: a modest concurrency, as bench:admin), BENCH_PT_SHARE (default 2000).
const { Client } = require('pg');
const { login, referralBody, referralParties } = require('../lib/parties');
const { seed } = require('../lib/seed-referrals');
const { table } = require('../lib/report');

const CREATE_MIN_RATIO = 0.65;
const CREATE_FLOOR_RATIO = 0.5;
const CREATE_MAX_P99_MS = 50;
const LIST_MAX_P95_MS = 15;
const LIST_MAX_GROWTH = 1.3;
const TOTALS = [10_000, 1_000_000];
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

module.exports = async function referrals({ api, databaseUrl, startBaseline, measure, apiRequest }) {
  const parties = await referralParties(apiRequest);
  const { lmt, pt, patient } = parties;

  const list = [];
  let assigned = 0;
  await seed(databaseUrl, pt.clinicId, {
    totals: TOTALS,
    afterPhase: async (total) => {
      if (assigned === 0) assigned = await assignToPt(databaseUrl, pt);
      const token = await login(apiRequest, pt.email);
      const page = await apiRequest('GET', LIST_PATH, { token });
      const r = await measure(`${api.url}${LIST_PATH}`, { authorization: `Bearer ${token}` }, { connections: LIST_CONNECTIONS });
      list.push({ total, items: page.items?.length ?? page.data?.length ?? '?', ...r });
    },
  });

  // Creation, on the 1M table, both sides inserting the same rows for the same parties.
  const body = JSON.stringify(referralBody(patient.id, pt.id));
  const json = { 'content-type': 'application/json' };
  const b2Server = await startBaseline({
    script: 'fastify-pg-referral.js',
    env: { DATABASE_URL: databaseUrl, SENDER_ID: lmt.id, SENDER_CLINIC_ID: lmt.clinicId, RECIPIENT_CLINIC_ID: pt.clinicId },
    readyPath: '/ready',
  });
  let b2;
  try {
    b2 = {
      name: 'B2 Fastify + pg POST /referrals (4 inserts, 1 tx)',
      ...(await measure(`${b2Server.url}/referrals`, json, { method: 'POST', body })),
    };
  } finally {
    await b2Server.stop();
  }
  const lmtToken = await login(apiRequest, lmt.email);
  const create = {
    name: 'API POST /api/v1/referrals',
    ...(await measure(`${api.url}/api/v1/referrals`, { ...json, authorization: `Bearer ${lmtToken}` }, { method: 'POST', body })),
  };

  const ratio = create.rps / b2.rps;
  const [small, big] = list;
  const growth = big.p95 / small.p95;
  const listTable = table(
    'rrrrrrrr',
    ['referrals', 'PT received', 'page', 'rps', 'p50 ms', 'p95 ms', 'p99 ms', `p95 <= ${LIST_MAX_P95_MS} ms`],
    list.map((r) => [
      r.total.toLocaleString('en-US'),
      String(assigned),
      String(r.items),
      r.rps.toFixed(0),
      r.p50.toFixed(0),
      r.p95.toFixed(0),
      r.p99.toFixed(0),
      r.p95 <= LIST_MAX_P95_MS ? 'met' : 'MISSED',
    ]),
  );
  return {
    rows: [b2, create],
    comparisons: [
      {
        name: 'create referral / B2',
        ratio,
        target: `>= ${CREATE_MIN_RATIO}x (floor ${CREATE_FLOOR_RATIO}x), p99 <= ${CREATE_MAX_P99_MS} ms`,
        met: ratio >= CREATE_MIN_RATIO && create.p99 <= CREATE_MAX_P99_MS,
      },
      { name: 'received box p95, 1M / 10k', ratio: growth, target: `<= ${LIST_MAX_GROWTH}x`, met: growth <= LIST_MAX_GROWTH },
    ],
    notes: [
      `GET ${LIST_PATH} as the PT, ${LIST_CONNECTIONS} connections (latencies whole ms):\n${listTable}`,
      `create p99 ${create.p99} ms (<= ${CREATE_MAX_P99_MS} ms: ${create.p99 <= CREATE_MAX_P99_MS ? 'met' : 'MISSED'}); ratio floor ${CREATE_FLOOR_RATIO}x: ${ratio >= CREATE_FLOOR_RATIO ? 'met' : 'MISSED'}`,
    ],
  };
};
