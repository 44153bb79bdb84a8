import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * Real processes for fault tests: the built API and worker as children (so they can be SIGKILLed),
 * and a private `redis-server` on a free loopback port (so stopping it never touches anyone else's
 * Redis). Everything started through a `ProcessSet` is stopped by its `stopAll()`.
 */

export const ROOT = join(__dirname, '..', '..');
export const API_MAIN = join(ROOT, 'dist/apps/api/apps/api/src/main.js');
export const WORKER_MAIN = join(ROOT, 'dist/apps/worker/apps/worker/src/main.js');
export const HOST = '127.0.0.1';

const STOP_GRACE_MS = 10_000;
const MAX_OUTPUT_CHARS = 64 * 1024 * 1024;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settles within `ms` (the timer is cleared either way, so nothing lingers). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Ports for the servers tests start: just below the kernel's ephemeral range (where `listen(0)`
 * and every outgoing connection take theirs), so a connection opened by a parallel test cannot take
 * the port between the probe below and the server's own listen (it did: EADDRINUSE in CI).
 */
function testPortRange(): { from: number; to: number } {
  let ephemeralFrom = 32_768;
  try {
    ephemeralFrom =
      Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralFrom;
  } catch {
    // not Linux: the usual default
  }
  return { from: Math.max(1_024, ephemeralFrom - 12_000), to: ephemeralFrom };
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}

/** A TCP port nobody listens on right now (on the loopback interface), outside the ephemeral range. */
export async function freePort(): Promise<number> {
  const { from, to } = testPortRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${from}–${to}`);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One child process with its whole stdout/stderr kept (fault tests grep it, e.g. for PHI). */
export class ChildHandle {
  private out = '';
  private err = '';
  readonly exited: Promise<Exit>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.out = (this.out + chunk).slice(-MAX_OUTPUT_CHARS);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.err = (this.err + chunk).slice(-MAX_OUTPUT_CHARS);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** stdout and stderr, for error messages. */
  output(tailChars = 4_000): string {
    return `--- ${this.name} stdout ---\n${this.out.slice(-tailChars)}\n--- ${this.name} stderr ---\n${this.err.slice(-tailChars)}`;
  }

  /** Waits until `pattern` appears in stdout or stderr (after `fromOffset` chars of stdout+stderr). */
  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.out) && !pattern.test(this.err)) {
      if (!this.running) throw new Error(`${this.name} exited before printing ${pattern}:\n${this.output()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.output()}`);
      await delay(50);
    }
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM (graceful), then SIGKILL if it is still running after the grace period. Safe to call twice. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    if (!(await settlesWithin(this.exited, graceMs))) await this.kill('SIGKILL');
  }
}

export function spawnNode(name: string, script: string, env: Record<string, string>): ChildHandle {
  // Exactly `env` plus PATH: the developer's shell must not change what the child does.
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ChildHandle(name, child);
}

/** Polls `url` until it answers 200. */
export async function waitForHttp(url: string, child: ChildHandle, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.running) throw new Error(`${child.name} exited before ${url} answered:\n${child.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${child.output()}`);
    await delay(100);
  }
}

export type RedisStop = 'shutdown' | 'SIGKILL' | 'SIGTERM';

/**
 * A private, non-persistent redis-server (`--save "" --appendonly no`): a restart starts empty,
 * like a crashed cache node without persistence. Always on the same port, so clients reconnect.
 */
export class PrivateRedis {
  private handle?: ChildHandle;
  private readonly dir = mkdtempSync(join(tmpdir(), 'referloop-redis-'));

  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<PrivateRedis> {
    const redis = new PrivateRedis(port ?? (await freePort()));
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  get running(): boolean {
    return this.handle?.running ?? false;
  }

  get pid(): number {
    return this.handle?.pid ?? -1;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.handle = new ChildHandle(`redis:${this.port}`, child);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!this.handle.running) throw new Error(`redis-server exited at start:\n${this.handle.output()}`);
      try {
        if ((await this.command('PING')) === 'PONG') return;
      } catch {
        // not ready yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not answer PING:\n${this.handle.output()}`);
      await delay(50);
    }
  }

  /** `shutdown`: SHUTDOWN NOSAVE (graceful); otherwise the signal. Waits for the exit. */
  async stop(how: RedisStop = 'shutdown'): Promise<void> {
    const handle = this.handle;
    if (!handle?.running) return;
    if (how === 'shutdown') {
      await this.command('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      if (!(await settlesWithin(handle.exited, 5_000))) await handle.kill('SIGKILL');
    } else {
      await handle.kill(how);
    }
  }

  async restart(how: RedisStop = 'shutdown'): Promise<void> {
    await this.stop(how);
    await this.start();
  }

  /** A short-lived connection for one command (fails fast while the server is down). */
  async command(name: string, ...args: (string | number)[]): Promise<unknown> {
    const client = this.client();
    try {
      return await client.call(name, ...args);
    } finally {
      client.disconnect();
    }
  }

  /** A connection of its own (the caller disconnects it); no retries, no offline queue. */
  client(): Redis {
    const client = new Redis({
      host: HOST,
      port: this.port,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: true,
      retryStrategy: () => null,
      connectTimeout: 2_000,
    });
    client.on('error', () => undefined);
    return client;
  }

  async close(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Environment for the built API and worker (server mode, loopback only, fast retries). */
export function appEnv(options: {
  databaseUrl: string;
  redisUrl: string;
  smtpUrl?: string;
  queuePrefix: string;
  jwtSecret: string;
  logLevel?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    JWT_SECRET: options.jwtSecret,
    HOST,
    QUEUE_PREFIX: options.queuePrefix,
    // At least `info`: the worker's "started" line is how a test knows it is up.
    LOG_LEVEL: options.logLevel ?? 'info',
    ...(options.smtpUrl ? { SMTP_URL: options.smtpUrl } : {}),
    WEBHOOK_ALLOWED_HOSTS: HOST,
    NOTIFICATION_RETRY_BASE_DELAY: '50ms',
    OUTBOX_SWEEP_INTERVAL: '500ms',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PUBLIC_URL: 'http://referloop.test',
    ...options.extra,
  };
}

/** The API as a child process on a free port, ready once /health/live answers. */
export async function startApi(env: Record<string, string>, name = 'api'): Promise<{ url: string; process: ChildHandle }> {
  const port = await freePort();
  const child = spawnNode(name, API_MAIN, { ...env, PORT: String(port) });
  const url = `http://${HOST}:${port}`;
  try {
    await waitForHttp(`${url}/health/live`, child);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { url, process: child };
}

/** The worker as a child process, ready once it logs that it started. */
export async function startWorker(env: Record<string, string>, name = 'worker'): Promise<ChildHandle> {
  const child = spawnNode(name, WORKER_MAIN, env);
  try {
    await child.waitForOutput(/ReferLoop worker started/);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return child;
}

/** Tracks what a test started and stops all of it, newest first, whatever happened. */
export class ProcessSet {
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  track<T>(thing: T, cleanup: (thing: T) => Promise<unknown>): T {
    this.cleanups.push(() => cleanup(thing));
    return thing;
  }

  async stopAll(): Promise<void> {
    const errors: unknown[] = [];
    while (this.cleanups.length > 0) {
      try {
        await this.cleanups.pop()!();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'clean-up failed');
  }
}
