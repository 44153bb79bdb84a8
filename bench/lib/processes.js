'use strict';
// Every server under test is a child process of its own, so it gets a core to itself and never
// shares an event loop with the load generator or the orchestrator.
const { spawn } = require('node:child_process');
const net = require('node:net');
const { setTimeout: delay } = require('node:timers/promises');

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_TAIL_CHARS = 4_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <script>` on a free port with exactly `env` (plus PATH, PORT and HOST: a developer's
 * shell variables must not change what is measured) and waits until `readyPath` answers 200.
 */
async function startServer({ name, script, env, readyPath = '/', readyOutput, nodeArgs = [] }) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Kept for error messages; the pipes must be drained or a chatty child would block on write.
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const server = {
    name,
    url: `http://${HOST}:${port}`,
    pid: child.pid,
    output: () => output,
    stop: () => stopChild(child, exited),
  };
  try {
    await waitReady(server, child, readyPath, readyOutput);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

function isRunning(child) {
  return child.exitCode === null && child.signalCode === null;
}

/** Ready when `readyPath` answers 200, or (a process without HTTP, e.g. the worker) when its output matches `readyOutput`. */
async function waitReady(server, child, readyPath, readyOutput) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isRunning(child)) {
      throw new Error(`${server.name} exited before it was ready (code ${child.exitCode}):\n${server.output()}`);
    }
    if (readyOutput) {
      if (readyOutput.test(server.output())) return;
      await delay(100);
      continue;
    }
    try {
      const res = await fetch(`${server.url}${readyPath}`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  throw new Error(`${server.name} was not ready within ${READY_TIMEOUT_MS} ms:\n${server.output()}`);
}

/** SIGTERM (graceful shutdown), then SIGKILL if it hangs. Safe to call twice. */
async function stopChild(child, exited) {
  if (!isRunning(child)) return;
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), delay(STOP_TIMEOUT_MS).then(() => false)]);
  if (!stopped && isRunning(child)) {
    child.kill('SIGKILL');
    await exited;
  }
}

module.exports = { startServer };
