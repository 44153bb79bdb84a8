import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { clinicPayload, PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import { createPostgresBackend, withBackend } from 'bullmq';
import request from 'supertest';
import { actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import { freePort } from './support/processes';
import { eventually } from './support/sinks';
import { addPractitioner, registerClinic } from './support/test-app';

// The try-it-out default: no DATABASE_URL and no REDIS_URL. The real built server is started as a
// child process on a private data folder, restarted, and its PostgreSQL-backed queue is used. The
// data folder sits in a private (0700) folder, like a clone under /root: as root (CI, a container),
// this is the case where the server's unprivileged account could reach neither it nor node_modules.

const MAIN = join(__dirname, '..', 'dist/apps/api/apps/api/src/main.js');
const BOOT_TIMEOUT_MS = 60_000;
// From libs/database/src/embedded-postgres.ts and the default QUEUE_PREFIX.
const EMBEDDED = { user: 'referloop', database: 'referloop', queueSchema: 'referloop' };
const AS_ROOT = process.getuid?.() === 0;

/** Pids of processes whose command line names the data folder (the embedded postgres server). */
function processesUsing(dir: string): number[] {
  const out = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** Pids of processes (but this one) whose environment holds `entry` (`DATA_DIR=…`: `npm start` and all it started). */
function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry)) pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
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
  // mkdtemp makes the folder 0700, owned by whoever runs the tests (root in CI).
  const privateParent = mkdtempSync(join(tmpdir(), 'referloop-embedded-test-'));
  const dataDir = join(privateParent, 'data');
  let server: Server | undefined;

  /** The cluster folder DATA_DIR records (under /var/lib/referloop as root, in DATA_DIR otherwise). */
  function clusterDir(): string {
    const { cluster } = JSON.parse(readFileSync(join(dataDir, 'embedded-postgres.json'), 'utf8')) as { cluster: string };
    return realpathSync(resolve(dataDir, cluster));
  }

  async function start(
    command: string[] = [process.execPath, MAIN],
    extraEnv: NodeJS.ProcessEnv = {},
  ): Promise<{ server: Server; ready: Readiness }> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...extraEnv,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // The readiness details (the queue backend) are the operator's.
      OPERATOR_USER: 'ops',
      OPERATOR_PASSWORD: 'operator-secret-1',
    };
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'QUEUE_PREFIX', 'PUBLIC_URL', 'CORS_ORIGINS'])
      delete env[name];
    // A process group of its own, as `npm start` in a terminal: Ctrl-C signals the whole group.
    const child = spawn(command[0], command.slice(1), {
      cwd: join(__dirname, '..'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
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
        const res = await fetch(`${url}/health/ready`, {
          headers: { authorization: `Basic ${Buffer.from('ops:operator-secret-1').toString('base64')}` },
        });
        if (res.status === 200) return { server: started, ready: (await res.json()) as Readiness };
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the server was not ready within ${BOOT_TIMEOUT_MS} ms:\n${output}`);
  }

  /** SIGTERM to the server (an orchestrator), or SIGINT to its whole process group (Ctrl-C in a terminal). */
  async function stop(how: 'SIGTERM' | 'Ctrl-C' = 'SIGTERM'): Promise<number | null> {
    const current = server;
    if (!current) return null;
    server = undefined;
    if (current.child.exitCode === null && current.child.signalCode === null) {
      if (how === 'Ctrl-C') process.kill(-current.child.pid!, 'SIGINT');
      else current.child.kill('SIGTERM');
    }
    return current.exited;
  }

  /** The embedded server's port, from its postmaster.pid (line 4). */
  function embeddedPort(): number {
    const port = Number(readFileSync(join(clusterDir(), 'postmaster.pid'), 'utf8').split('\n')[3]);
    expect(port).toBeGreaterThan(0);
    return port;
  }

  /** Connection to the embedded server's database, with the password generated into DATA_DIR. */
  function embeddedPostgres() {
    const password = readFileSync(join(dataDir, 'postgres-password'), 'utf8').trim();
    return {
      connectionString: `postgres://${EMBEDDED.user}:${password}@127.0.0.1:${embeddedPort()}/${EMBEDDED.database}`,
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
    // An `npm start` whose app outlived it (the case the npm test checks for).
    for (const pid of processesWithEnv(`DATA_DIR=${dataDir}`)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const cluster = existsSync(join(dataDir, 'embedded-postgres.json')) ? clusterDir() : undefined;
    // A server killed hard leaves its postgres behind: stop exactly those processes.
    for (const pid of cluster ? processesUsing(cluster) : []) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    // As root the cluster has a folder of its own outside DATA_DIR (its parent holds only it).
    if (cluster && !cluster.startsWith(privateParent)) rmSync(dirname(cluster), { recursive: true, force: true });
    rmSync(privateParent, { recursive: true, force: true });
  }, 30_000);

  const admin = { email: uniqueEmail('embedded'), password: PASSWORD, fullName: 'Emma Embedded' };
  /** Who ran the embedded PostgreSQL server, and from where (seen while it ran). */
  let serverProcess: { uid: number; executable: string } | undefined;
  let firstRun: { userId: string; accessToken: string; queueName: string; jobId: string; secret: string };

  it(
    'boots on a new data folder, registers and signs in, and runs a job through the PostgreSQL queue; stops cleanly on SIGTERM',
    async () => {
      expect(existsSync(MAIN)).toBe(true);
      const { server: running, ready } = await start();
      expect(ready).toMatchObject({
        status: 'up',
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
      expect(statSync(privateParent).mode & 0o777).toBe(0o700);

      // The database password too; nothing gets in without it (no trust, no well-known password).
      expect(statSync(join(dataDir, 'postgres-password')).mode & 0o777).toBe(0o600);
      for (const password of [undefined, 'referloop-embedded']) {
        const client = new Client({
          host: '127.0.0.1',
          port: embeddedPort(),
          user: EMBEDDED.user,
          password,
          database: 'postgres',
        });
        await expect(client.connect()).rejects.toThrow(/password/);
        await client.end().catch(() => undefined);
      }

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

      const [postmaster] = processesUsing(clusterDir());
      expect(postmaster).toBeDefined();
      serverProcess = { uid: statSync(`/proc/${postmaster}`).uid, executable: realpathSync(`/proc/${postmaster}/exe`) };

      // Make this cluster look like one from before the generated password (fixed password, no
      // file): the next start must replace that password (checked in the restart test).
      const sql = new Client({ connectionString: embeddedPostgres().connectionString });
      await sql.connect();
      try {
        await sql.query(`ALTER ROLE ${EMBEDDED.user} PASSWORD 'referloop-embedded'`);
      } finally {
        await sql.end();
      }
      unlinkSync(join(dataDir, 'postgres-password'));

      await expect(stop()).resolves.toBe(0);
      // The orderly shutdown ran (the embedded server's own exit hook used to race it and exit 143).
      expect(running.output()).not.toMatch(/error during shutdown|shutdown took too long/);
      // The embedded PostgreSQL stopped with the server.
      expect(processesUsing(clusterDir())).toEqual([]);
      expect(existsSync(join(clusterDir(), 'postmaster.pid'))).toBe(false);
    },
    3 * BOOT_TIMEOUT_MS,
  );

  (AS_ROOT ? it : it.skip)(
    'as root from a private (0700) folder: the server ran as an unprivileged account, from its own binaries and cluster folder (runs only as root)',
    () => {
      expect(serverProcess).toBeDefined();
      const cluster = clusterDir();
      // Not root, and the owner of a cluster folder outside the private one.
      expect(serverProcess!.uid).not.toBe(0);
      expect(statSync(cluster).uid).toBe(serverProcess!.uid);
      expect(cluster.startsWith(privateParent)).toBe(false);
      expect(cluster.startsWith('/var/lib/referloop/')).toBe(true);
      // Its binaries are a copy it can reach, not the ones in this (maybe private) checkout's node_modules.
      expect(serverProcess!.executable).toMatch(/^\/var\/lib\/referloop\/postgres\/[^/]+\/bin\/postgres$/);
    },
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
      // A cluster with the old fixed password got a generated one in its place.
      const passwordFile = join(dataDir, 'postgres-password');
      expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(passwordFile, 'utf8').trim()).not.toBe('referloop-embedded');
      const oldPassword = new Client({
        host: '127.0.0.1',
        port: embeddedPort(),
        user: EMBEDDED.user,
        password: 'referloop-embedded',
        database: 'postgres',
      });
      await expect(oldPassword.connect()).rejects.toThrow(/password/);
      await oldPassword.end().catch(() => undefined);

      // The secret was reused, not regenerated: a token from the first run still works.
      expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8')).toBe(firstRun.secret);
      const me = await http.get('/api/v1/me').set('Authorization', `Bearer ${firstRun.accessToken}`).expect(200);
      expect(me.body).toMatchObject({ id: firstRun.userId, clinic: { name: 'Embedded Clinic' } });
      // Registering the same email again is refused: the first run's row is there.
      await http.post('/api/v1/auth/register-clinic').send({ clinic: clinicPayload(), admin }).expect(409);

      // A second start on the same data folder stops at once, saying why (no stack, nothing built).
      const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1' };
      for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'QUEUE_PREFIX', 'PUBLIC_URL']) delete env[name];
      const second = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let secondOutput = '';
      second.stdout?.on('data', (chunk: Buffer) => (secondOutput += chunk.toString()));
      second.stderr?.on('data', (chunk: Buffer) => (secondOutput += chunk.toString()));
      expect(await new Promise((resolve) => second.once('exit', resolve))).toBe(1);
      expect(secondOutput).toContain(`referloop: failed to start: ReferLoop is already running on the data folder ${dataDir}`);
      expect(secondOutput).not.toMatch(/^\s+at /m);
      await http.get('/api/v1/me').set('Authorization', `Bearer ${firstRun.accessToken}`).expect(200);
      // `npm start` asks before its build (which would empty dist/ under this run), naming the folder, not the port.
      const check = spawnSync(process.execPath, [join(__dirname, '..', 'scripts/check-start.js')], {
        env: { ...env, PORT: String(running.port) },
        encoding: 'utf8',
      });
      expect(check.status).toBe(1);
      expect(check.stderr).toContain(`ReferLoop is already running on the data folder ${dataDir}`);

      // The notification pipeline runs in the one process: outbox → relay → in-app (emails: PostgreSQL-backed queue).
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

      // Without SMTP_URL the invitation email goes to the trial mailbox, with its link.
      const invited = await http
        .post('/api/v1/practitioners')
        .set(physio.admin.auth)
        .send(practitionerPayload('physical_therapist', new Date()))
        .expect(201);
      const mail = await eventually(async () => {
        const mailbox = await http.get('/api/v1/trial/mailbox').expect(200);
        return mailbox.body.items.find((m: { to: string }) => m.to === invited.body.email);
      }, 'the invitation email in the trial mailbox');
      expect(mail.text).toContain(invited.body.invitation.url);

      // Ctrl-C stops the app before the database: no connection is cut under it, so nothing but
      // JSON log lines (the embedded server used to get the signal too, and every open connection
      // dumped an error).
      await expect(stop('Ctrl-C')).resolves.toBe(0);
      const lines = running
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '');
      expect(lines.filter((line) => !line.startsWith('{'))).toEqual([]);
      expect(running.output()).not.toMatch(/terminating connection|shutting down|error during shutdown|shutdown took too long/);
      expect(processesUsing(clusterDir())).toEqual([]);
    },
    3 * BOOT_TIMEOUT_MS,
  );

  it(
    'starts after a run killed hard, stopping the database server it left behind',
    async () => {
      expect(firstRun).toBeDefined();
      const { server: killed } = await start();
      server = undefined;
      // SIGKILL to the app alone (no exit handler runs): its server, in a process group of its own, stays.
      killed.child.kill('SIGKILL');
      await killed.exited;
      const leftBehind = Number(readFileSync(join(clusterDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(processesUsing(clusterDir())).toContain(leftBehind);

      const { server: running } = await start();
      expect(running.output()).toContain('stopping the embedded PostgreSQL server a previous run left behind');
      const http = request(running.url);
      await http.post('/api/v1/auth/login').send({ email: admin.email, password: admin.password }).expect(200);
      expect(processesUsing(clusterDir())).not.toContain(leftBehind);
      await expect(stop('Ctrl-C')).resolves.toBe(0);
      expect(processesUsing(clusterDir())).toEqual([]);
    },
    3 * BOOT_TIMEOUT_MS,
  );

  it(
    '`npm start` stopped by SIGTERM to npm alone (`kill <pid>`, a process manager) stops the app and its database server',
    async () => {
      // The real `npm start` script, but its `npm run build` answers at once: dist/ is built, and
      // building it again would empty it under the other test files.
      const npm = realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
      const fakeBin = mkdtempSync(join(tmpdir(), 'referloop-fake-npm-'));
      try {
        writeFileSync(join(fakeBin, 'npm'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
        const { server: running } = await start([process.execPath, npm, 'start'], { PATH: `${fakeBin}:${process.env.PATH}` });
        await request(running.url).get('/health/live').expect(200);

        // SIGTERM to npm's own pid, not to its process group as Ctrl-C does.
        await stop('SIGTERM');
        const left = await eventually(() => {
          const pids = [...processesWithEnv(`DATA_DIR=${dataDir}`), ...processesUsing(clusterDir())];
          return pids.length === 0 ? 'none' : undefined;
        }, 'the app and its database server to stop after npm got SIGTERM').catch(
          () =>
            `still running: ${spawnSync('ps', ['-o', 'pid,args', '-p', processesWithEnv(`DATA_DIR=${dataDir}`).join(',') || '0'], { encoding: 'utf8' }).stdout}`,
        );
        expect(left).toBe('none');
        expect(running.output()).not.toMatch(/second signal|error during shutdown|shutdown took too long/);
      } finally {
        rmSync(fakeBin, { recursive: true, force: true });
      }
    },
    3 * BOOT_TIMEOUT_MS,
  );
});
