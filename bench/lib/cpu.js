'use strict';
// CPU time of a process (Linux /proc/<pid>/stat: utime + stime, in clock ticks of 1/100 s), to say
// how much of a core the worker and Redis took while the API was under load. null elsewhere.
const { readdirSync, readFileSync } = require('node:fs');

const TICKS_PER_SECOND = 100;

function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Pids whose command name is `name` (e.g. redis-server). */
function pidsNamed(name) {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Starts counting; stop() answers the CPU seconds the pids used meanwhile, together. A pid that
 * cannot be read counts none; null when pids were given and none could be read (not Linux).
 */
function cpuTime(pids) {
  const before = pids.map(cpuSeconds);
  return {
    stop() {
      let total = 0;
      let read = 0;
      pids.forEach((pid, i) => {
        const after = cpuSeconds(pid);
        if (after === null || before[i] === null) return;
        total += after - before[i];
        read += 1;
      });
      return pids.length > 0 && read === 0 ? null : total;
    },
  };
}

module.exports = { cpuSeconds, cpuTime, pidsNamed };

/**
 * CPU of the PostgreSQL backends serving `databaseUrl` (found in pg_stat_activity; backends that
 * appear meanwhile count from zero). stop() answers CPU seconds, not a share.
 */
async function databaseCpu(databaseUrl) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const backends = async () =>
    (
      await client.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
    ).rows.map((r) => r.pid);
  const before = new Map((await backends()).map((pid) => [pid, cpuSeconds(pid)]));
  const seen = new Map();
  // Backends of a pool that closes before stop() (a baseline server) are caught by sampling.
  const sample = async () => {
    for (const pid of await backends()) {
      const now = cpuSeconds(pid);
      if (now !== null) seen.set(pid, now);
    }
  };
  const timer = setInterval(() => void sample().catch(() => undefined), 500);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      await client.end();
      let total = 0;
      for (const [pid, now] of seen) total += now - (before.get(pid) ?? 0);
      return total;
    },
  };
}

module.exports.databaseCpu = databaseCpu;

/**
 * Runs `load()` (one autocannon measurement, answering its figures) and answers them with the CPU
 * each process took per request meanwhile (ms): the server, the worker (when given), Redis and the
 * PostgreSQL backends of `databaseUrl` (when given). On a machine shared with other work throughput
 * is noisy; CPU per request much less so. The CPU counts cover warm-up and load; so does the
 * request count estimated from the measured rate.
 */
async function costed(load, { serverPid, workerPid = null, redisPids = [], databaseUrl = null }) {
  const server = cpuTime([serverPid]);
  const worker = workerPid ? cpuTime([workerPid]) : null;
  const redis = cpuTime(redisPids);
  const database = databaseUrl ? await databaseCpu(databaseUrl) : null;
  const started = performance.now();
  const figures = await load();
  const requests = (figures.rps * (performance.now() - started)) / 1000;
  const perRequest = (seconds) => (seconds === null ? null : (seconds * 1000) / requests);
  const cpu = {
    server: perRequest(server.stop()),
    worker: worker ? perRequest(worker.stop()) : 0,
    redis: perRequest(redis.stop()) ?? 0,
    postgres: perRequest(database ? await database.stop() : 0),
  };
  cpu.total = cpu.server === null ? null : cpu.server + cpu.worker + cpu.redis + cpu.postgres;
  return { ...figures, cpu };
}
module.exports.costed = costed;

/** A baseline measured before and after the API (the machine's speed drifts): the mean of its two costed runs. */
const meanOfRuns = (first, second) => ({
  rps: (first.rps + second.rps) / 2,
  cpu: (first.cpu.total + second.cpu.total) / 2,
});
module.exports.meanOfRuns = meanOfRuns;
