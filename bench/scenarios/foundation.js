'use strict';
// Foundation figures: what the Nest stack costs on a route that does nothing (health vs B1), and on
// an authenticated one-row read (practitioner vs B3, the same row through bare Fastify + pg). Each
// baseline runs before and after its API route (the machine's speed drifts between runs), and each
// run reports its CPU per request.
const { randomBytes } = require('node:crypto');
const { costed, meanOfRuns } = require('../lib/cpu');
const { table } = require('../lib/report');

const HEALTH_MIN_RATIO = 0.85;
const READ_MIN_RATIO = 0.55;
const READ_MAX_P99_MS = 25;

/** A clinic admin (the reader) and one physical therapist of that clinic (the row read). */
async function seedPractitioner(apiRequest) {
  const tag = randomBytes(4).toString('hex');
  const clinic = await apiRequest('POST', '/api/v1/auth/register-clinic', {
    expect: 201,
    body: {
      clinic: {
        name: `Bench Clinic ${tag}`,
        address: { line1: '100 Congress Ave', city: 'Austin', region: 'TX', postalCode: '78701', country: 'US' },
        phone: '+1 512 555 0100',
        timezone: 'America/Chicago',
      },
      admin: { email: `bench-admin-${tag}@example.com`, password: 'bench-password-1', fullName: 'Bench Admin' },
    },
  });
  const practitioner = await apiRequest('POST', '/api/v1/practitioners', {
    expect: 201,
    token: clinic.accessToken,
    body: {
      email: `bench-pt-${tag}@example.com`,
      fullName: 'Bench Therapist',
      role: 'physical_therapist',
      licence: { number: `PT-${tag}`, region: 'TX', expiresOn: '2099-12-31' },
    },
  });
  return { token: clinic.accessToken, practitionerId: practitioner.id };
}

/** One measurement of `path` on a baseline server started for it, with its CPU per request. */
async function measureBaseline(startBaseline, measure, { name, script, env, readyPath, path, databaseUrl }) {
  const server = await startBaseline({ script, env, readyPath });
  try {
    return { name, ...(await costed(() => measure(`${server.url}${path}`), { serverPid: server.pid, databaseUrl })) };
  } finally {
    // One server at a time: an idle one still holds memory and connections.
    await server.stop();
  }
}

module.exports = async function foundation({ api, databaseUrl, startBaseline, measure, apiRequest }) {
  const b1Run = (label) =>
    measureBaseline(startBaseline, measure, { name: `B1 bare Fastify GET / ${label}`, script: 'bare-fastify.js', path: '/' });
  const b1First = await b1Run('#1');
  const health = {
    name: 'API GET /health/live',
    ...(await costed(() => measure(`${api.url}/health/live`), { serverPid: api.pid })),
  };
  const b1Second = await b1Run('#2');

  const { token, practitionerId } = await seedPractitioner(apiRequest);
  const b3Run = (label) =>
    measureBaseline(startBaseline, measure, {
      name: `B3 Fastify + pg SELECT user by id ${label}`,
      script: 'fastify-pg.js',
      env: { DATABASE_URL: databaseUrl },
      readyPath: '/ready',
      path: `/users/${practitionerId}`,
      databaseUrl,
    });
  const b3First = await b3Run('#1');
  const read = {
    name: 'API GET /api/v1/practitioners/:id',
    ...(await costed(() => measure(`${api.url}/api/v1/practitioners/${practitionerId}`, { authorization: `Bearer ${token}` }), {
      serverPid: api.pid,
      databaseUrl,
    })),
  };
  const b3Second = await b3Run('#2');

  const b1 = meanOfRuns(b1First, b1Second);
  const b3 = meanOfRuns(b3First, b3Second);
  const healthRatio = health.rps / b1.rps;
  const readRatio = read.rps / b3.rps;
  const ms = (n) => (n === null || n === undefined ? 'n/a' : n.toFixed(3));
  const cpuRow = (r, baseline) => [
    r.name,
    ms(r.cpu.server),
    ms(r.cpu.postgres),
    ms(r.cpu.total),
    r.cpu.total ? `${(baseline.cpu / r.cpu.total).toFixed(2)}x` : 'n/a',
  ];
  const cpuTable = table(
    'lrrrr',
    ['CPU ms per request', 'server', 'postgres', 'total', 'baseline / total'],
    [cpuRow(b1First, b1), cpuRow(health, b1), cpuRow(b1Second, b1), cpuRow(b3First, b3), cpuRow(read, b3), cpuRow(b3Second, b3)],
  );
  return {
    rows: [b1First, health, b1Second, b3First, read, b3Second],
    comparisons: [
      {
        name: 'health / B1',
        ratio: healthRatio,
        target: `>= ${HEALTH_MIN_RATIO}x`,
        met: healthRatio >= HEALTH_MIN_RATIO,
      },
      {
        name: 'practitioner read / B3',
        ratio: readRatio,
        target: `>= ${READ_MIN_RATIO}x, p99 <= ${READ_MAX_P99_MS} ms`,
        met: readRatio >= READ_MIN_RATIO && read.p99 <= READ_MAX_P99_MS,
      },
    ],
    notes: [
      `each baseline ran before and after its API route; ratios against the mean of its two runs (B1 ${b1First.rps.toFixed(0)} and ${b1Second.rps.toFixed(0)} rps, B3 ${b3First.rps.toFixed(0)} and ${b3Second.rps.toFixed(0)} rps)`,
      `CPU per request (whole-process CPU time over warm-up and load / requests; postgres: the backends of the bench database; baseline / total is what the throughput ratio would be if the machine were CPU-bound and did nothing else):\n${cpuTable}`,
    ],
  };
};
