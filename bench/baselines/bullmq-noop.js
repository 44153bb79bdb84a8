'use strict';
// Raw BullMQ ceiling for the notification drain: JOBS no-op jobs (the app's keep-completed options)
// queued first, then one Worker at CONCURRENCY drains them; prints { jobs, seconds, jobsPerSecond }
// as JSON and exits. Env: REDIS_URL, PREFIX (a bench_ prefix of its own), JOBS, CONCURRENCY.
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');

const JOBS = Number(process.env.JOBS ?? 20_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const prefix = process.env.PREFIX;
const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

async function main() {
  if (!/^bench_/.test(prefix ?? '')) throw new Error('PREFIX must start with bench_');
  const connection = new IORedis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection, prefix });
  for (let i = 0; i < JOBS; i += 1000) {
    const n = Math.min(1000, JOBS - i);
    await queue.addBulk(
      Array.from({ length: n }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts: { jobId: `j${i + k}`, ...KEEP } })),
    );
  }
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const started = process.hrtime.bigint();
  const workerConnection = connection.duplicate();
  const worker = new Worker('noop', async () => undefined, { connection: workerConnection, prefix, concurrency: CONCURRENCY });
  worker.on('completed', () => {
    done += 1;
    if (done === JOBS) finish();
  });
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.close();
  await queue.close();
  // BullMQ leaves connections it was given open.
  workerConnection.disconnect();
  connection.disconnect();
  process.stdout.write(`${JSON.stringify({ jobs: JOBS, seconds, jobsPerSecond: JOBS / seconds })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
