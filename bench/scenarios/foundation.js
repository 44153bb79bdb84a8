'use strict';
// Foundation figures: what the Nest stack costs on a route that does nothing (health vs B1), and on
// an authenticated one-row read (practitioner vs B3, the same row through bare Fastify + pg).
const { randomBytes } = require('node:crypto');

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

async function measureBaseline(startBaseline, measure, { name, script, env, readyPath, path }) {
  const server = await startBaseline({ script, env, readyPath });
  try {
    return { name, ...(await measure(`${server.url}${path}`)) };
  } finally {
    // One server at a time: an idle one still holds memory and connections.
    await server.stop();
  }
}

module.exports = async function foundation({ api, databaseUrl, startBaseline, measure, apiRequest }) {
  const b1 = await measureBaseline(startBaseline, measure, {
    name: 'B1 bare Fastify GET /',
    script: 'bare-fastify.js',
    path: '/',
  });
  const health = { name: 'API GET /health/live', ...(await measure(`${api.url}/health/live`)) };

  const { token, practitionerId } = await seedPractitioner(apiRequest);
  const b3 = await measureBaseline(startBaseline, measure, {
    name: 'B3 Fastify + pg SELECT user by id',
    script: 'fastify-pg.js',
    env: { DATABASE_URL: databaseUrl },
    readyPath: '/ready',
    path: `/users/${practitionerId}`,
  });
  const read = {
    name: 'API GET /api/v1/practitioners/:id',
    ...(await measure(`${api.url}/api/v1/practitioners/${practitionerId}`, { authorization: `Bearer ${token}` })),
  };

  const healthRatio = health.rps / b1.rps;
  const readRatio = read.rps / b3.rps;
  return {
    rows: [b1, health, b3, read],
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
  };
};
