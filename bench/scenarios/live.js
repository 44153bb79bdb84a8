'use strict';
// `npm run bench:live`: SSE fan-out. BENCH_LIVE_STREAMS (default 1,000) streams of GET /api/v1/events
// are held open by 100 users (50 massage therapists and the 50 physical therapists they refer to,
// one clinic each, 10 tabs per user), while referrals are sent at BENCH_LIVE_RATE (default 50) per
// second for BENCH_LIVE_SECONDS (default 60), the worker running (its in-app notifications are live
// events too). For each send, the time from the API's answer (the change is committed by then) and
// from the request's start, to its `referral.updated` (status `sent`) arriving on each of the 20
// streams of its two parties. Targets: p95 <= 100 ms, none missing, API RSS <= 300 MiB.
const { fork } = require('node:child_process');
const { join } = require('node:path');
const { setTimeout: delay } = require('node:timers/promises');
const { sampleRss } = require('../lib/memory');
const { referralBody, referralParties } = require('../lib/parties');
const { table } = require('../lib/report');

const STREAMS = Number(process.env.BENCH_LIVE_STREAMS ?? 1_000);
const RATE = Number(process.env.BENCH_LIVE_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 60);
const PAIRS = Number(process.env.BENCH_LIVE_PAIRS ?? 50);
const TABS = Math.ceil(STREAMS / (PAIRS * 2));
const MAX_P95_MS = 100;
const MAX_RSS_MIB = 300;
const DRAFT_CONCURRENCY = 20;

const now = () => performance.timeOrigin + performance.now();

async function post(url, token, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function childRequest(child, message, answerKey) {
  return new Promise((resolve, reject) => {
    const onMessage = (answer) => {
      if (answer.error) reject(new Error(`stream holder: ${answer.error}`));
      else if (answer[answerKey]) resolve(answer[answerKey]);
      else return;
      child.off('message', onMessage);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

module.exports = async function live({ api, apiRequest, startWorker }) {
  await startWorker();
  console.log(`bench: ${PAIRS} referring pairs, ${TABS} streams per user`);
  const pairs = [];
  for (let i = 0; i < PAIRS; i += 5) {
    pairs.push(...(await Promise.all(Array.from({ length: Math.min(5, PAIRS - i) }, () => referralParties(apiRequest)))));
  }

  // Drafts first (not measured): each pair in turn.
  const total = RATE * SECONDS;
  const drafts = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: DRAFT_CONCURRENCY }, async () => {
      while (next < total) {
        const i = next++;
        const { lmt, pt, patient } = pairs[i % pairs.length];
        const res = await post(`${api.url}/api/v1/referrals`, lmt.accessToken, referralBody(patient.id, pt.id));
        if (res.status !== 201) throw new Error(`creating a draft answered ${res.status}: ${JSON.stringify(res.body)}`);
        drafts[i] = { id: res.body.id, version: res.body.version, token: lmt.accessToken };
      }
    }),
  );

  const streams = [];
  for (const { lmt, pt } of pairs) {
    for (let tab = 0; tab < TABS && streams.length < STREAMS; tab++) streams.push({ token: lmt.accessToken });
    for (let tab = 0; tab < TABS && streams.length < STREAMS; tab++) streams.push({ token: pt.accessToken });
  }
  const holder = fork(join(__dirname, '../lib/live-streams.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { opened } = await childRequest(holder, { open: { url: api.url, streams } }, 'ready');
    console.log(`bench: ${total} drafts ready, ${opened} streams open; sending ${RATE}/s for ${SECONDS} s`);
    await delay(1_000);

    // Paced sends: send i starts at t0 + i / RATE, whatever the earlier ones are doing.
    const memory = sampleRss(api.pid);
    const timings = new Map();
    const failures = [];
    const t0 = performance.now();
    await Promise.all(
      drafts.map(async (draft, i) => {
        const wait = t0 + (i * 1000) / RATE - performance.now();
        if (wait > 0) await delay(wait);
        const started = now();
        const res = await post(`${api.url}/api/v1/referrals/${draft.id}/send`, draft.token, { version: draft.version });
        if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(res.body)}`);
        else timings.set(draft.id, { started, answered: now() });
      }),
    );
    const sendSeconds = (performance.now() - t0) / 1000;
    await delay(2_000);
    const peakRss = memory.stop();
    const { counts, closedEarly, sentArrivals } = await childRequest(holder, { stop: true }, 'result');
    if (failures.length > 0) throw new Error(`${failures.length} sends failed, e.g. ${failures[0]}`);

    const fromAnswer = [];
    const fromStart = [];
    let received = 0;
    for (const [id, arrivals] of sentArrivals) {
      const timing = timings.get(id);
      if (!timing) continue;
      for (const at of arrivals) {
        received += 1;
        fromAnswer.push(Math.max(0, at - timing.answered));
        fromStart.push(at - timing.started);
      }
    }
    const expected = timings.size * TABS * 2;
    fromAnswer.sort((a, b) => a - b);
    fromStart.sort((a, b) => a - b);
    const figures = (list) => [50, 95, 99, 100].map((p) => percentile(list, p).toFixed(1));
    const p95 = percentile(fromStart, 95);
    const met = p95 <= MAX_P95_MS && received === expected && peakRss !== null && peakRss <= MAX_RSS_MIB;
    const latencyTable = table(
      'lrrrr',
      ['referral sent → event on a party’s stream', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [
        ['from the API’s answer (committed)', ...figures(fromAnswer)],
        ['from the request’s start (upper bound)', ...figures(fromStart)],
      ],
    );
    return {
      rows: [],
      comparisons: [
        {
          name: `SSE fan-out: p95 commit → event (${STREAMS} streams, ${RATE}/s)`,
          ratio: p95,
          target: `<= ${MAX_P95_MS} ms, none missing, API RSS <= ${MAX_RSS_MIB} MiB`,
          met,
        },
      ],
      notes: [
        `${streams.length} streams (${pairs.length * 2} users × ${TABS}), ${timings.size} sends in ${sendSeconds.toFixed(1)} s, worker running`,
        latencyTable,
        `events expected ${expected}, received ${received} (missing ${expected - received}); all events: ${JSON.stringify(counts)}; streams closed early: ${closedEarly}`,
        `API peak RSS during the sends ${peakRss?.toFixed(0)} MiB (<= ${MAX_RSS_MIB}: ${peakRss !== null && peakRss <= MAX_RSS_MIB ? 'met' : 'MISSED'})`,
      ],
    };
  } finally {
    holder.kill();
  }
};
