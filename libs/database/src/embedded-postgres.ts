import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { redactQuoted, StartRefused } from '@referloop/common';
import type { Logger } from 'pino';
import { type ClusterPlacement, knownClusterDir, placeCluster, postgresBinaries } from './embedded-postgres-placement';

export interface EmbeddedDatabase {
  url: string;
  /** The cluster's data folder (under DATA_DIR, or under /var/lib/referloop when started as root). */
  clusterDir: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'referloop';
const USER = 'referloop';
/** In DATA_DIR, mode 0600: the password of the embedded server's only role. */
export const PASSWORD_FILE = 'postgres-password';
/** The fixed password of clusters made before the password was generated: replaced on their next start. */
const LEGACY_PASSWORD = 'referloop-embedded';
const READY = 'database system is ready to accept connections';
/** PostgreSQL's invalid_password. */
const INVALID_PASSWORD = '28P01';

/**
 * Starts the private PostgreSQL server of the embedded default: binaries from the `embedded-postgres`
 * package, listening on a free loopback port with password (SCRAM) authentication, the password
 * generated once into DATA_DIR. Where the cluster lives and who runs it: see placeCluster. A second
 * start reuses the cluster.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const placement = placeCluster(dataDir, await postgresBinaries());
  const { clusterDir } = placement;
  const leftover = leftBehindServer(dataDir, clusterDir);
  if (leftover !== undefined) {
    // A run killed hard (SIGKILL, the OOM killer) never stopped its server; nothing else would.
    logger.warn({ pid: leftover }, 'stopping the embedded PostgreSQL server a previous run left behind');
    await stopLeftBehind(leftover);
  }
  const password = embeddedPassword(dataDir);
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    logger.info({ clusterDir }, 'initialising the embedded PostgreSQL cluster');
    await initialise(placement, password);
  }
  const port = await freeLoopbackPort();
  const server = await startServer(placement, port, logger);
  try {
    await prepareDatabase(port, password);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const ownerFile = join(dataDir, OWNER_FILE);
  writeFileSync(ownerFile, `${process.pid}\n`, { mode: 0o600 });
  logger.info({ port, clusterDir }, 'embedded PostgreSQL started');
  return {
    url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE_NAME}`,
    clusterDir,
    stop: async () => {
      await server.stop();
      rmSync(ownerFile, { force: true });
    },
  };
}

/**
 * Refuses when another ReferLoop runs on `dataDir` (its embedded server is up and its owner alive).
 * Makes nothing: `npm start` asks this before its build, which would empty dist/ under that run.
 */
export function assertDataDirFree(dataDir: string): void {
  const clusterDir = knownClusterDir(dataDir);
  if (clusterDir !== undefined) leftBehindServer(dataDir, clusterDir);
}

/**
 * The one reading of a running server on `clusterDir`: refuses (StartRefused) when a live run of
 * `dataDir` owns it; answers its pid when a run that is gone left it behind; undefined when none runs.
 */
function leftBehindServer(dataDir: string, clusterDir: string): number | undefined {
  const running = runningServerPid(clusterDir);
  if (running === undefined || leftBehind(dataDir, running)) return running;
  // The app's own pid first: that is the process to stop (stopping it stops its database too).
  const owner = Number(readOptional(join(dataDir, OWNER_FILE))?.trim());
  const app = Number.isInteger(owner) && owner > 0 ? `process ${owner}, ` : '';
  throw new StartRefused(
    `ReferLoop is already running on the data folder ${dataDir} (${app}its database server process ${running}). ` +
      'Stop that ReferLoop first (Ctrl-C where it runs), or start this one with another DATA_DIR.',
  );
}

/** In DATA_DIR: the pid of the process whose embedded server is running, to tell a live run from a killed one. */
const OWNER_FILE = 'embedded-postgres.owner';

/**
 * Whether the running server `pid` was left behind by a run that is gone: its recorded owner is dead,
 * or (where /proc tells) is not the server's parent any more. Without a record (a run from before it
 * was kept), only a server adopted by init counts as left behind.
 */
function leftBehind(dataDir: string, pid: number): boolean {
  const owner = Number(readOptional(join(dataDir, OWNER_FILE))?.trim());
  const parent = parentPid(pid);
  if (!Number.isInteger(owner) || owner <= 0) return parent === 1;
  if (!alive(owner)) return true;
  return parent !== undefined && parent !== owner;
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The parent pid from /proc (Linux); undefined where there is none. */
function parentPid(pid: number): number | undefined {
  const stat = readOptional(`/proc/${pid}/stat`);
  // After "pid (comm) state": comm may hold spaces and parentheses, so split after its last ')'.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  const parent = Number(fields?.[1]);
  return Number.isInteger(parent) && parent > 0 ? parent : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, under another account (the postgres user, when this runs as root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Ends a left-behind server: "fast" shutdown (nobody is connected), then "immediate" if it lingers. */
async function stopLeftBehind(pid: number): Promise<void> {
  const gone = async (ms: number) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await delay(100)) if (!alive(pid)) return true;
    return !alive(pid);
  };
  try {
    process.kill(pid, 'SIGINT');
    if (await gone(15_000)) return;
    process.kill(pid, 'SIGQUIT');
    if (await gone(5_000)) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
  }
  throw new StartRefused(
    `The database server a previous run left behind (process ${pid}) could not be stopped: stop it, then start again.`,
  );
}

/**
 * The pid in the cluster's postmaster.pid when that process is alive and (where /proc tells) a
 * server of this cluster, not another process that got the pid since: a stale file is PostgreSQL's
 * to clear.
 */
function runningServerPid(clusterDir: string): number | undefined {
  const pid = Number(readOptional(join(clusterDir, 'postmaster.pid'))?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  const command = readOptional(`/proc/${pid}/cmdline`);
  return command === undefined || command.split('\0').includes(clusterDir) ? pid : undefined;
}

function embeddedPassword(dataDir: string): string {
  const file = join(dataDir, PASSWORD_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(32).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

/** The server's own environment: English messages (the start is detected by one of them). */
function serverEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
}

async function initialise(placement: ClusterPlacement, password: string): Promise<void> {
  const { clusterDir, binDir, account } = placement;
  // initdb reads the password from a file: one only the server's account can read, removed at once.
  const passwordFile = join(dirname(clusterDir), `.initdb-password-${process.pid}`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (account) chownSync(passwordFile, account.uid, account.gid);
  try {
    const child = spawn(
      join(binDir, 'initdb'),
      [
        `--pgdata=${clusterDir}`,
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // The same collation on every machine, whatever locales the OS has installed.
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
      ],
      { ...account, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit ${code}):\n${output.trim()}`);
  } finally {
    unlinkSync(passwordFile);
  }
}

async function startServer(placement: ClusterPlacement, port: number, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const { clusterDir, binDir, account } = placement;
  const child = spawn(
    join(binDir, 'postgres'),
    // Loopback TCP only: no Unix socket, so nothing depends on /var/run/postgresql existing.
    // The server's log reaches ours: no DETAIL/STATEMENT lines (they hold row values), and the values an
    // error message quotes are redacted like any logged error's.
    [
      ...['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...['-c', 'log_error_verbosity=terse', '-c', 'log_min_error_statement=panic'],
    ],
    // Its own process group: a Ctrl-C in the terminal reaches only this process, which stops the app
    // first and the server last (in the terminal's group, the server shut down under the app's
    // open connections, and every one of them logged an error).
    { ...account, env: serverEnv(), stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // If this process ends without stopping it (a crash, an exit during start-up), the server stops too.
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      logger.debug({ component: 'embedded-postgres' }, redactQuoted(text.trim()));
      if (output.length < 64 * 1024) output += text;
      if (output.includes(READY)) resolve();
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`the embedded PostgreSQL server exited while starting:\n${output.trim()}`)));
  });
  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      stopping ??= isRunning(child) ? stopServer(child, exited) : Promise.resolve();
      process.removeListener('exit', stopOnExit);
      return stopping;
    },
  };
}

/** How long a "smart" shutdown may wait for the last sessions to close before a "fast" one ends them. */
const SMART_SHUTDOWN_MS = 5_000;

/**
 * SIGTERM first, PostgreSQL's "smart" shutdown: no new sessions, and it waits for the open ones to
 * close. The app has closed its pools by now, but a pool's last connections may still be saying
 * goodbye; a "fast" shutdown ended those under them, and each logged an error. A session that does
 * not close in time is ended by SIGINT ("fast": ends sessions, checkpoints, exits).
 */
async function stopServer(child: ChildProcess, exited: Promise<void>): Promise<void> {
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), SMART_SHUTDOWN_MS);
  });
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late' && isRunning(child)) {
    child.kill('SIGINT');
    await exited;
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Creates the database if needed; a cluster from before the generated password gets it now. */
async function prepareDatabase(port: number, password: string): Promise<void> {
  const connect = async (secret: string) => {
    const client = new Client({ host: '127.0.0.1', port, user: USER, password: secret, database: 'postgres' });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };
  let admin: Client;
  try {
    admin = await connect(password);
  } catch (error) {
    if ((error as { code?: string }).code !== INVALID_PASSWORD) throw error;
    admin = await connect(LEGACY_PASSWORD);
    await admin.query(`ALTER ROLE ${USER} PASSWORD ${admin.escapeLiteral(password)}`);
  }
  try {
    const existing = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (existing.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
    // The user is called like the queue schema (`referloop`): keep every connection's default
    // search_path on `public` so "$user" never resolves to the queue's schema (see data-source.ts).
    await admin.query(`ALTER DATABASE ${DATABASE_NAME} SET search_path = public`);
  } finally {
    await admin.end();
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
