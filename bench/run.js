'use strict';
// `npm run bench` (or `node bench/run.js <scenario>`, see SCENARIOS): the built API against baselines measured in the same run on the same machine, so
// ratios (not absolute figures) are what to compare between machines. 127.0.0.1 only.
const { randomBytes } = require('node:crypto');
const os = require('node:os');
const { join } = require('node:path');
const { createCleanups, ensureBuilt } = require('./lib/lifecycle');
const { createBenchDatabase, migrate } = require('./lib/database');
const { deployedNodeOptions } = require('./lib/deployment');
const { requestJson } = require('./lib/http');
const { measure } = require('./lib/load');
const { cpuBusyFraction } = require('./lib/machine');
const { sampleRss } = require('./lib/memory');
const { startServer } = require('./lib/processes');
const { deleteKeysWithPrefix } = require('./lib/redis');
const { printReport, writeJson } = require('./lib/report');

// Each scenario: async (helpers) => { rows, comparisons, notes? }, with an optional `apiEnv` (the
// API's extra environment). Add new ones here; the first
// command-line argument picks one (default: foundation, what `npm run bench` runs).
const SCENARIOS = {
  foundation: () => require('./scenarios/foundation'),
  referrals: () => require('./scenarios/referrals'),
  notifications: () => require('./scenarios/notifications'),
  admin: () => require('./scenarios/admin'),
  live: () => require('./scenarios/live'),
};
const SCENARIO_NAME = process.argv[2] ?? 'foundation';

const ROOT = join(__dirname, '..');
const API_DIST = join(ROOT, 'dist/apps/api/apps/api/src');
const WORKER_MAIN = join(ROOT, 'dist/apps/worker/apps/worker/src/main.js');
// foundation keeps its historical file name.
const RESULTS_FILE = join(__dirname, `results/${SCENARIO_NAME === 'foundation' ? 'latest' : SCENARIO_NAME}.json`);
const LOAD = { connections: 50, warmupSeconds: 2, durationSeconds: 10 };
const REDIS_URL = 'redis://127.0.0.1:6379';
const BUSY_WARNING = 0.1;

// Run in reverse order on success, failure or Ctrl-C: servers first, then the database.
const cleanups = createCleanups();
const cleanUp = cleanups.run;

// Kept so a failure can show what the servers printed (the API logs warnings and errors only).
const servers = [];
async function startTracked(options) {
  const server = await startServer(options);
  servers.push(server);
  cleanups.push(server.stop);
  return server;
}

async function warnIfBusy() {
  const busy = await cpuBusyFraction();
  if (busy !== null && busy > BUSY_WARNING) {
    console.warn(
      `bench: warning: the CPUs were ${Math.round(busy * 100)}% busy before start; other processes will skew the figures`,
    );
  }
  return busy;
}

async function main() {
  if (!SCENARIOS[SCENARIO_NAME])
    throw new Error(`unknown scenario "${SCENARIO_NAME}" (one of ${Object.keys(SCENARIOS).join(', ')})`);
  const scenarios = [SCENARIOS[SCENARIO_NAME]()];
  ensureBuilt(API_DIST);
  const cpuBusyAtStart = await warnIfBusy();
  const tag = randomBytes(4).toString('hex');

  const database = await createBenchDatabase();
  // BENCH_KEEP_DATABASE=1 leaves it (seeded) for EXPLAIN afterwards; drop it yourself.
  if (process.env.BENCH_KEEP_DATABASE === '1') console.log(`bench: keeping database ${database.name}`);
  else cleanups.push(database.drop);
  const appEnv = {
    NODE_ENV: 'production',
    // The API and the worker run with the image's heap limit, as deployed.
    NODE_OPTIONS: deployedNodeOptions(),
    DATABASE_URL: database.url,
    REDIS_URL,
    JWT_SECRET: randomBytes(32).toString('hex'),
  };
  console.log(`bench: database ${database.name}, migrating`);
  await migrate(join(API_DIST, 'migrate.js'), appEnv);

  const queuePrefix = `bench_${tag}`;
  cleanups.push(() => deleteKeysWithPrefix(REDIS_URL, queuePrefix));
  const api = await startTracked({
    name: 'api',
    script: join(API_DIST, 'main.js'),
    readyPath: '/health/ready',
    env: {
      ...appEnv,
      // As deployed (the default): one access line per request, written to a pipe this process drains.
      LOG_LEVEL: 'info',
      // Seeding signs in through the rate-limited auth routes.
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      QUEUE_PREFIX: queuePrefix,
      // What a scenario needs of the API's configuration (e.g. a webhook receiver on 127.0.0.1).
      ...Object.assign({}, ...scenarios.map((scenario) => scenario.apiEnv)),
    },
    // e.g. BENCH_API_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the API under load.
    nodeArgs: process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean),
  });
  const memory = sampleRss(api.pid);
  console.log(
    `bench: API ready at ${api.url} (pid ${api.pid}); ${LOAD.connections} connections, ${LOAD.warmupSeconds} s warm-up + ${LOAD.durationSeconds} s per measurement`,
  );

  const helpers = {
    api,
    databaseUrl: database.url,
    startBaseline: ({ script, env = {}, readyPath }) =>
      startTracked({
        name: script,
        script: join(__dirname, 'baselines', script),
        env: { NODE_ENV: 'production', ...env },
        readyPath,
      }),
    measure: (url, headers, options = {}) => measure({ url, headers, ...LOAD, ...options }),
    load: LOAD,
    appEnv,
    redisUrl: REDIS_URL,
    queuePrefix,
    tag,
    cleanups,
    // The worker has no HTTP listener: it is ready once it logs so (pino JSON at LOG_LEVEL info).
    startWorker: (env = {}) =>
      startTracked({
        name: 'worker',
        script: WORKER_MAIN,
        readyOutput: /ReferLoop worker started/,
        env: { ...appEnv, LOG_LEVEL: 'info', QUEUE_PREFIX: queuePrefix, ...env },
        // e.g. BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof-worker'.
        nodeArgs: process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean),
      }),
    apiRequest: (method, path, options) => requestJson(api.url, method, path, options),
  };
  const rows = [];
  const comparisons = [];
  const notes = [];
  for (const scenario of scenarios) {
    console.log(`bench: scenario ${scenario.name}`);
    const result = await scenario(helpers);
    rows.push(...result.rows);
    comparisons.push(...result.comparisons);
    notes.push(...(result.notes ?? []));
  }
  const apiPeakRssMiB = memory.stop();
  notes.push(`the API and the worker ran with the image's NODE_OPTIONS (${appEnv.NODE_OPTIONS}), as deployed`);

  printReport({ rows, comparisons, apiPeakRssMiB, notes });
  writeJson(RESULTS_FILE, {
    finishedAt: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, cpuBusyAtStart },
    load: LOAD,
    rows,
    comparisons,
    apiPeakRssMiB,
    notes,
  });
  console.log(`bench: results written to ${RESULTS_FILE}`);
}

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
    for (const server of servers) {
      if (server.output()) console.error(`--- ${server.name} output (tail) ---\n${server.output()}`);
    }
    await cleanUp();
    process.exitCode = 1;
  });
