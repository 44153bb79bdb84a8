'use strict';
// Child side of load.js: one warm-up run (discarded: JIT, connection pools, caches), one measured run.
const autocannon = require('autocannon');

process.once('message', async ({ url, headers, method, body, connections, warmupSeconds, durationSeconds }) => {
  let answer;
  try {
    const request = { url, headers, connections };
    if (method) Object.assign(request, { method, body });
    await autocannon({ ...request, duration: warmupSeconds });
    // Every response time is kept, so p95 is exact (autocannon's summary has p97.5 but no p95).
    const times = [];
    const instance = autocannon({ ...request, duration: durationSeconds });
    instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
    const r = await instance;
    times.sort((a, b) => a - b);
    const at = (p) => (times.length === 0 ? NaN : times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]);
    answer = {
      result: {
        rps: r.requests.average,
        p50: r.latency.p50,
        p95: at(0.95),
        p99: r.latency.p99,
        requests: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
      },
    };
  } catch (error) {
    answer = { error: error instanceof Error ? error.message : String(error) };
  }
  process.send(answer, () => process.exit(0));
});

// The orchestrator stopped (Ctrl-C, failure): no one is left to read the figures.
process.once('disconnect', () => process.exit(0));
