'use strict';
// Raw BullMQ drains, the ceilings the notification worker is compared with: JOBS jobs (the app's
// keep-completed options) queued first, then one Worker at CONCURRENCY drains them; prints
// { jobs, seconds, jobsPerSecond, cpuSeconds } as JSON and exits: seconds of the drain, CPU from
// queueing the jobs to the end (the app's relay queues its jobs in the worker's CPU too). What each job does (SEND):
// - none: nothing (what carrying an event through a queue costs);
// - sends: WEBHOOK_JOBS of the jobs (spread evenly) POST a webhook-sized JSON body to WEBHOOK_URL
//   through Node's default agent, as the app's webhook channel does; the others send one message to
//   SMTP_URL through nodemailer's pool of the app's size. The sends alone, without the database.
// Env: REDIS_URL, PREFIX (a bench_ prefix of its own), JOBS, CONCURRENCY, SEND, WEBHOOK_JOBS,
// WEBHOOK_URL, SMTP_URL.
const { request } = require('node:http');
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');
const { createTransport } = require('nodemailer');

const JOBS = Number(process.env.JOBS ?? 20_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const SEND = process.env.SEND ?? 'none';
const WEBHOOK_JOBS = Number(process.env.WEBHOOK_JOBS ?? 0);
const prefix = process.env.PREFIX;
const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/** About the size of a webhook the app sends (ids, codes and a link). */
const WEBHOOK_BODY = JSON.stringify({
  id: '00000000-0000-4000-8000-000000000000',
  event: 'referral.sent',
  occurredAt: new Date().toISOString(),
  clinicId: '00000000-0000-4000-8000-000000000001',
  referralId: '00000000-0000-4000-8000-000000000002',
  data: { fromStatus: 'draft', toStatus: 'sent', urgent: false },
  url: 'http://127.0.0.1:3000/referrals/00000000-0000-4000-8000-000000000002',
});

function postWebhook(url, i) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(WEBHOOK_BODY)),
          'x-referloop-delivery': `raw-${i}`,
        },
      },
      (res) => {
        res.resume();
        if (res.statusCode >= 200 && res.statusCode < 300) resolve();
        else reject(new Error(`HTTP ${res.statusCode}`));
      },
    );
    req.on('error', reject);
    req.end(WEBHOOK_BODY);
  });
}

/** Job i's send: a webhook for WEBHOOK_JOBS of the JOBS jobs, spread evenly, an email for the rest. */
function sender() {
  if (SEND === 'none') return { send: async () => undefined, close: () => undefined };
  if (SEND !== 'sends') throw new Error(`SEND must be none or sends (got "${SEND}")`);
  const { WEBHOOK_URL, SMTP_URL } = process.env;
  if (!WEBHOOK_URL || !SMTP_URL) throw new Error('SEND=sends needs WEBHOOK_URL and SMTP_URL');
  const transport = createTransport({ url: SMTP_URL, pool: true, maxConnections: 5, maxMessages: 500 });
  const text = 'A referral was sent to you. Open ReferLoop to see it.\n'.repeat(12);
  const isWebhook = (i) => Math.floor(((i + 1) * WEBHOOK_JOBS) / JOBS) > Math.floor((i * WEBHOOK_JOBS) / JOBS);
  return {
    send: (i) =>
      isWebhook(i)
        ? postWebhook(WEBHOOK_URL, i)
        : transport.sendMail({
            from: 'ReferLoop <no-reply@referloop.local>',
            to: 'pt@example.test',
            subject: 'New referral',
            text,
            html: `<p>${text}</p>`,
            messageId: `<raw-${i}@referloop>`,
          }),
    close: () => transport.close(),
  };
}

async function main() {
  if (!/^bench_/.test(prefix ?? '')) throw new Error('PREFIX must start with bench_');
  const { send, close } = sender();
  const connection = new IORedis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('drain', { connection, prefix });
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < JOBS; i += 1000) {
    const n = Math.min(1000, JOBS - i);
    await queue.addBulk(
      Array.from({ length: n }, (_, k) => ({ name: 'drain', data: { i: i + k }, opts: { jobId: `j${i + k}`, ...KEEP } })),
    );
  }
  let done = 0;
  let finish;
  let fail;
  const finished = new Promise((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const started = process.hrtime.bigint();
  const workerConnection = connection.duplicate();
  const worker = new Worker('drain', (job) => send(job.data.i), {
    connection: workerConnection,
    prefix,
    concurrency: CONCURRENCY,
  });
  worker.on('completed', () => {
    done += 1;
    if (done === JOBS) finish();
  });
  // A baseline that failed a send measured something else: stop.
  worker.on('failed', (_job, error) => fail(error));
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  await worker.close();
  await queue.close();
  close();
  // BullMQ leaves connections it was given open.
  workerConnection.disconnect();
  connection.disconnect();
  process.stdout.write(
    `${JSON.stringify({ jobs: JOBS, seconds, jobsPerSecond: JOBS / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
