import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Clock } from '@referloop/common';
import { createDataSource } from '@referloop/database';
import { clinicFields, createTestDatabase, type TestDatabase, testConfig } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { SessionsStore } from '../store/sessions.store';
import { UsersStore } from '../store/users.store';
import { ClinicsStore } from '../store/clinics.store';
import { ClinicScope } from '../tenancy/clinic-scope';
import { LIVE_SESSION_MEMORY_MS, LiveSessions } from './live-sessions';

// The auth guard's memory of live sessions, with two API "processes" (each its own pool, listener
// and memory) on one real database: a session is answered from memory, the process that ends it
// forgets it at once, every other process when the trigger's NOTIFY arrives, and nothing is
// remembered while the listener is down.

class TestClock extends Clock {
  at = Date.now();
  override now(): Date {
    return new Date(this.at);
  }
}

interface Process {
  source: DataSource;
  live: LiveSessions;
  sessions: SessionsStore;
  users: UsersStore;
  clock: TestClock;
}

const until = async (check: () => Promise<boolean> | boolean, what: string) => {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('LiveSessions', () => {
  let db: TestDatabase;
  let a: Process;
  let b: Process;
  let clinicId: string;
  let adminId: string;

  const startProcess = async (name: string): Promise<Process> => {
    const source = createDataSource({ url: db.url, poolSize: 2, applicationName: `live-sessions-${name}` });
    await source.initialize();
    const clock = new TestClock();
    const live = new LiveSessions(testConfig(db.url), clock);
    return { source, live, clock, sessions: new SessionsStore(source, live), users: new UsersStore(source, live) };
  };
  const since = (p: Process) => new Date(p.clock.at - 3_600_000);
  /** A new session of the admin, with each process's memory holding it. */
  const rememberedSession = async () => {
    const sessionId = await a.sessions.start(a.source.manager, adminId, new Date(), { requestId: 'int-spec' });
    for (const p of [a, b]) {
      await until(
        async () => (await p.sessions.authenticate(sessionId, adminId, since(p))) !== null && p.live.listening,
        'the listener',
      );
      await p.sessions.authenticate(sessionId, adminId, since(p));
    }
    return sessionId;
  };
  const withTriggersOff = async (fn: () => Promise<unknown>) => {
    await a.source.query(`ALTER TABLE auth_sessions DISABLE TRIGGER USER`);
    await a.source.query(`ALTER TABLE users DISABLE TRIGGER USER`);
    try {
      await fn();
    } finally {
      await a.source.query(`ALTER TABLE auth_sessions ENABLE TRIGGER USER`);
      await a.source.query(`ALTER TABLE users ENABLE TRIGGER USER`);
    }
  };

  beforeAll(async () => {
    // The listener-down test ends the listeners' connections on purpose: their warnings are expected.
    Logger.overrideLogger(['error']);
    db = await createTestDatabase();
    a = await startProcess('a');
    b = await startProcess('b');
    const now = new Date();
    const clinic = await new ClinicsStore(a.source).insert(a.source.manager, clinicFields('Live'), now);
    clinicId = clinic.id;
    const admin = (await a.users.insertIfEmailFree(
      a.source.manager,
      {
        clinicId,
        email: `admin.${randomBytes(4).toString('hex')}@example.test`,
        passwordHash: null,
        fullName: 'Live Admin',
        role: 'physical_therapist',
        isAdmin: true,
        licenceNumber: 'PT-1',
        licenceRegion: 'TX',
        licenceExpiresOn: `${now.getUTCFullYear() + 1}-01-01`,
        activatedAt: now,
      },
      now,
    ))!;
    adminId = admin.id;
  });
  afterAll(async () => {
    for (const p of [a, b]) {
      await p?.live.onApplicationShutdown();
      await p?.source.destroy();
    }
    await db?.drop();
  });

  it('answers a live session from memory for at most LIVE_SESSION_MEMORY_MS', async () => {
    const sessionId = await rememberedSession();
    // Revoked behind the application's back, with no NOTIFY: the memory still answers...
    await withTriggersOff(() => a.source.query(`UPDATE auth_sessions SET revoked_at = now() WHERE id = $1`, [sessionId]));
    expect(await a.sessions.authenticate(sessionId, adminId, since(a))).toMatchObject({ clinic_id: clinicId, is_admin: true });
    // ...until the bound.
    a.clock.at += LIVE_SESSION_MEMORY_MS + 1;
    expect(await a.sessions.authenticate(sessionId, adminId, since(a))).toBeNull();
  });

  it('forgets a session at once in the process that ends it, and in the others on its NOTIFY', async () => {
    const sessionId = await rememberedSession();
    await a.sessions.end(a.source.manager, { sessionId }, 'logout', new Date());
    expect(await a.sessions.authenticate(sessionId, adminId, since(a))).toBeNull();
    await until(
      async () => (await b.sessions.authenticate(sessionId, adminId, since(b))) === null,
      'the other process to forget',
    );
  });

  it('forgets every session of a user whose access changes, whoever changes it', async () => {
    const sessionId = await rememberedSession();
    // Admin rights taken away through the application.
    const scope = ClinicScope.of({ clinicId, userId: adminId, isAdmin: true });
    await a.users.updateOwn(scope, adminId, { isAdmin: false }, new Date());
    expect(await a.sessions.authenticate(sessionId, adminId, since(a))).toMatchObject({ is_admin: false });
    await until(
      async () => (await b.sessions.authenticate(sessionId, adminId, since(b)))?.is_admin === false,
      'the new admin flag',
    );
    // Deactivated by an operator in psql.
    await a.source.query(`UPDATE users SET deactivated_at = now() WHERE id = $1`, [adminId]);
    for (const p of [a, b]) {
      await until(async () => (await p.sessions.authenticate(sessionId, adminId, since(p))) === null, 'the deactivation');
    }
    await a.source.query(`UPDATE users SET deactivated_at = NULL, is_admin = true WHERE id = $1`, [adminId]);
  });

  it('remembers nothing while its listener is down', async () => {
    const sessionId = await rememberedSession();
    await a.source.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'referloop-session-listener' AND datname = current_database()`,
    );
    await until(() => !a.live.listening && !b.live.listening, 'the listeners to notice');
    await withTriggersOff(() => a.source.query(`UPDATE auth_sessions SET revoked_at = now() WHERE id = $1`, [sessionId]));
    expect(await a.sessions.authenticate(sessionId, adminId, since(a))).toBeNull();
    expect(await b.sessions.authenticate(sessionId, adminId, since(b))).toBeNull();
    // Back after a reconnect.
    await until(() => a.live.listening && b.live.listening, 'the listeners to reconnect');
  });
});
