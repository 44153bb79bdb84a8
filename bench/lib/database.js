'use strict';
// A throwaway database per run: figures never depend on (or touch) anyone else's data.
const { execFile } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { promisify } = require('node:util');
const { Client } = require('pg');

const SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function withAdminClient(fn) {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Same guard idea as the test helpers: never create or drop a database not marked as a bench one. */
function assertBenchDatabase(name) {
  if (!/(^|_)bench(_|$)/.test(name)) throw new Error(`Refusing to touch database "${name}": its name must contain "bench"`);
}

async function createBenchDatabase() {
  const name = `referloop_bench_${randomBytes(6).toString('hex')}`;
  assertBenchDatabase(name);
  await withAdminClient((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    // FORCE: a server that failed to stop must not keep the database alive.
    drop: () => withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** Runs the built one-shot migrate command, exactly as the docker-compose `migrate` service does. */
async function migrate(script, env) {
  try {
    await promisify(execFile)(process.execPath, [script], { env });
  } catch (error) {
    throw new Error(`migrations failed: ${error.stderr || error.message}`, { cause: error });
  }
}

module.exports = { createBenchDatabase, migrate };
