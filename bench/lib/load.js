'use strict';
// autocannon runs in a child process of its own: on a 2-core machine the load generator, the
// server and the orchestrator (memory sampling) must not share an event loop.
const { fork } = require('node:child_process');
const { join } = require('node:path');

/**
 * Warms `url` up, then loads it for `durationSeconds` with `connections` connections.
 * `method`/`body` (a string) for a POST. Resolves to { rps, p50, p95, p99, requests } (latencies in ms). Any non-2xx answer, socket error or
 * timeout makes the figures meaningless, so it rejects instead.
 */
function measure({ url, headers = {}, method, body, connections, warmupSeconds, durationSeconds }) {
  return new Promise((resolve, reject) => {
    const worker = fork(join(__dirname, 'load-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answered = false;
    worker.once('message', (answer) => {
      answered = true;
      if (answer.error) return reject(new Error(`load on ${url} failed: ${answer.error}`));
      const { non2xx, errors, timeouts, ...figures } = answer.result;
      if (non2xx + errors + timeouts > 0) {
        return reject(new Error(`load on ${url}: ${non2xx} non-2xx answers, ${errors} errors, ${timeouts} timeouts`));
      }
      resolve(figures);
    });
    worker.once('error', reject);
    // 'close' comes after the IPC channel is drained, so a missing answer really is missing.
    worker.once('close', (code) => {
      if (!answered) reject(new Error(`load generator exited (code ${code}) without a result for ${url}`));
    });
    worker.send({ url, headers, method, body, connections, warmupSeconds, durationSeconds });
  });
}

module.exports = { measure };
