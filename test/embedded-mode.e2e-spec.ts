import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clinicPayload, PASSWORD, uniqueEmail } from '@referloop/testing';
import { createPostgresBackend, withBackend } from 'bullmq';
import request from 'supertest';
import { actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import { eventually } from './support/sinks';
import { addPractitioner, registerClinic } from './support/test-app';

// The try-it-out default: no DATABASE_URL and no REDIS_URL. The real built server is started as a
// child process on a private data folder, restarted, and its PostgreSQL-backed queue is used.

const MAIN = join(__dirname, '..', 'dist/apps/api/apps/api/src/main.js');
const BOOT_TIMEOUT_MS = 60_000;
// From libs/database/src/embedded-postgres.ts and the default QUEUE_PREFIX.
const EMBEDDED = { user: 'referloop', password: 'referloop-embedded', database: 'referloop', queueSchema: 'referloop' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Pids of processes whose command line names the data folder (the embedded postgres server). */
function processesUsing(dir: string): number[] {
  const out = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

interface Readiness {
  status: string;
  checks: { database: { status: string }; queue: { status: string; backend: string } };
}

interface Server {
  child: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

describe('embedded mode (no DATABASE_URL, no REDIS_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'referloop-embedded-test-'));
  let server: Server | undefined;

  async function start(): Promise<{ server: Server; ready: Readiness }> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'QUEUE_PREFIX', 'PUBLIC_URL', 'CORS_ORIGINS'])
      delete env[name];
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));
    const url = `http://127.0.0.1:${port}`;
    const started: Server = { child, port, url, output: () => output, exited };
    server = started;

    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`the server exited with ${exitCode} while starting:\n${output}`);
      try {
        const res = await fetch(`${url}/health/ready`);
        if (res.status === 200) return { server: started, ready: (await res.json()) as Readiness };
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the server was not ready within ${BOOT_TIMEOUT_MS} ms:\n${output}`);
  }

  async function stop(): Promise<number | null> {
    const current = server;
    if (!current) return null;
    server = undefined;
    if (current.child.exitCode === null && current.child.signalCode === null) current.child.kill('SIGTERM');
    return current.exited;
  }

  /** Connection to the embedded server's database, read from its postmaster.pid (line 4 is the port). */
  function embeddedPostgres() {
    const lines = readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
    const port = Number(lines[3]);
    expect(port).toBeGreaterThan(0);
    return {
      connectionString: `postgres://${EMBEDDED.user}:${EMBEDDED.password}@127.0.0.1:${port}/${EMBEDDED.database}`,
      schema: EMBEDDED.queueSchema,
      // The server created the queue tables at start; a client must find them, not make them.
      skipMigrations: true,
    };
  }

  afterAll(async () => {
    if (server) {
      const running = server;
      running.child.kill('SIGTERM');
      const timer = setTimeout(() => running.child.kill('SIGKILL'), 15_000);
      await running.exited;
      clearTimeout(timer);
    }
    // A server killed hard leaves its postgres behind: stop exactly those processes.
    for (const pid of processesUsing(dataDir)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  const admin = { email: uniqueEmail('embedded'), password: PASSWORD, fullName: 'Emma Embedded' };
  let firstRun: { userId: string; accessToken: string; queueName: string; jobId: string; secret: string };

  it(
    'boots on a new data folder, registers and signs in, and runs a job through the PostgreSQL queue; stops cleanly on SIGTERM',
    async () => {
      expect(existsSync(MAIN)).toBe(true);
      const { server: running, ready } = await start();
      expect(ready).toMatchObject({
        status: 'ok',
        checks: { database: { status: 'up' }, queue: { status: 'up', backend: 'postgres' } },
      });

      const http = request(running.url);
      const registered = await http
        .post('/api/v1/auth/register-clinic')
        .send({ clinic: clinicPayload({ name: 'Embedded Clinic' }), admin })
        .expect(201);
      const login = await http.post('/api/v1/auth/login').send({ email: admin.email, password: admin.password }).expect(200);
      expect(login.body.user.id).toBe(registered.body.user.id);
      await http.get('/api/v1/me').set('Authorization', `Bearer ${login.body.accessToken}`).expect(200);

      // The signing secret was generated into the data folder, readable by its owner only.
      const secretFile = join(dataDir, 'jwt-secret');
      expect(statSync(secretFile).mode & 0o777).toBe(0o600);

      // A job round-trip through BullMQ's PostgreSQL backend in the embedded database.
      const { Queue, Worker } = withBackend(createPostgresBackend);
      const connection = embeddedPostgres();
      const queueName = `embedded-roundtrip-${Date.now()}`;
      const queue = new Queue<{ n: number }, { doubled: number }>(queueName, { connection });
      const processed: number[] = [];
      const worker = new Worker<{ n: number }, { doubled: number }>(
        queueName,
        (job) => {
          processed.push(job.data.n);
          return Promise.resolve({ doubled: job.data.n * 2 });
        },
        { connection },
      );
      try {
        const completed = new Promise<{ id?: string; result: { doubled: number } }>((resolve, reject) => {
          worker.on('completed', (job, result) => resolve({ id: job.id, result }));
          worker.on('failed', (_job, error) => reject(error));
        });
        const job = await queue.add('double', { n: 21 });
        const done = await completed;
        expect(done).toEqual({ id: job.id, result: { doubled: 42 } });
        expect(processed).toEqual([21]);
        firstRun = {
          userId: registered.body.user.id,
          accessToken: login.body.accessToken,
          queueName,
          jobId: job.id as string,
          secret: readFileSync(secretFile, 'utf8'),
        };
        // Stored, not just passed along in memory.
        const stored = await queue.getJob(job.id as string);
        expect(stored?.returnvalue).toEqual({ doubled: 42 });
        await expect(stored?.getState()).resolves.toBe('completed');
      } finally {
        await worker.close();
        await queue.close();
      }

      expect(processesUsing(dataDir).length).toBeGreaterThan(0);
      await expect(stop()).resolves.toBe(0);
      // The orderly shutdown ran (the embedded server's own exit hook used to race it and exit 143).
      expect(running.output()).not.toMatch(/error during shutdown|shutdown took too long/);
      // The embedded PostgreSQL stopped with the server.
      expect(processesUsing(dataDir)).toEqual([]);
      expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    },
    3 * BOOT_TIMEOUT_MS,
  );

  it(
    'restarts on the same data folder with the data, the signing secret and the queue intact, and notifies through the PostgreSQL queue',
    async () => {
      expect(firstRun).toBeDefined();
      const { server: running, ready } = await start();
      expect(ready.checks.queue.backend).toBe('postgres');
      const http = request(running.url);

      // The account is still there.
      const login = await http.post('/api/v1/auth/login').send({ email: admin.email, password: admin.password }).expect(200);
      expect(login.body.user.id).toBe(firstRun.userId);
      // The secret was reused, not regenerated: a token from the first run still works.
      expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8')).toBe(firstRun.secret);
      const me = await http.get('/api/v1/me').set('Authorization', `Bearer ${firstRun.accessToken}`).expect(200);
      expect(me.body).toMatchObject({ id: firstRun.userId, clinic: { name: 'Embedded Clinic' } });
      // Registering the same email again is refused: the first run's row is there.
      await http.post('/api/v1/auth/register-clinic').send({ clinic: clinicPayload(), admin }).expect(409);

      // The notification pipeline runs in the one process: outbox → PostgreSQL-backed queue → in-app.
      const massage = await registerClinic(http, { name: 'Embedded Massage' });
      const physio = await registerClinic(http, { name: 'Embedded Physio' });
      const lmt = await addPractitioner(http, massage, 'massage_therapist');
      const pt = await addPractitioner(http, physio, 'physical_therapist');
      const patient = await createPatient(http, lmt);
      const referral = await actOk(http, lmt, await createReferral(http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
      const notification = await eventually(async () => {
        const inbox = await http.get('/api/v1/notifications').set(pt.auth).expect(200);
        return inbox.body.items.find((n: { referralId: string }) => n.referralId === referral.id);
      }, 'the in-app notification in embedded mode');
      expect(notification).toMatchObject({ type: 'sent', title: 'New referral from Embedded Massage' });

      // The completed job survived the restart in PostgreSQL.
      const { Queue } = withBackend(createPostgresBackend);
      const queue = new Queue(firstRun.queueName, { connection: embeddedPostgres() });
      try {
        const job = await queue.getJob(firstRun.jobId);
        expect(job?.returnvalue).toEqual({ doubled: 42 });
        await expect(queue.getJobCounts('completed')).resolves.toEqual({ completed: 1 });
      } finally {
        await queue.close();
      }

      await expect(stop()).resolves.toBe(0);
      expect(running.output()).not.toMatch(/error during shutdown|shutdown took too long/);
      expect(processesUsing(dataDir)).toEqual([]);
    },
    3 * BOOT_TIMEOUT_MS,
  );
});
