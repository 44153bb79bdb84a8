import { randomBytes } from 'node:crypto';
import { Clock } from '@referloop/common';
import { createDataSource } from '@referloop/database';
import { clinicFields, createTestDatabase, type TestDatabase, testConfig } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { LiveSessions } from '../auth/live-sessions';
import { ClinicScope } from '../tenancy/clinic-scope';
import { ClinicsStore } from './clinics.store';
import { SessionsStore } from './sessions.store';
import { type UserRow, UsersStore } from './users.store';

// The identity stores against a real database: a clinic's rows answer only to its own scope, the
// cross-clinic read shows only listed practitioners, and the hot statements (the auth guard's
// session check, GET /practitioners/:id's read) run as prepared statements.

describe('identity stores', () => {
  let db: TestDatabase;
  let source: DataSource;
  let users: UsersStore;
  let clinics: ClinicsStore;
  let sessions: SessionsStore;
  let live: LiveSessions;
  const now = new Date();
  let alpha: { clinicId: string; admin: UserRow; pt: UserRow };
  let beta: { clinicId: string; admin: UserRow };
  const scopeOf = (user: UserRow) => ClinicScope.of({ clinicId: user.clinicId, userId: user.id, isAdmin: user.isAdmin });

  const clinic = async (name: string) => {
    const row = await clinics.insert(source.manager, clinicFields(name), now);
    const admin = (await users.insertIfEmailFree(
      source.manager,
      {
        clinicId: row.id,
        email: `admin.${randomBytes(4).toString('hex')}@example.test`,
        passwordHash: null,
        fullName: `${name} Admin`,
        role: 'clinic_admin',
        isAdmin: true,
        activatedAt: now,
      },
      now,
    ))!;
    return { clinicId: row.id, admin };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    // One connection, so the prepared statements are all on the connection the checks look at.
    source = createDataSource({ url: db.url, poolSize: 1, applicationName: 'identity-stores-check' });
    await source.initialize();
    live = new LiveSessions(testConfig(db.url), new Clock());
    users = new UsersStore(source, live);
    clinics = new ClinicsStore(source);
    sessions = new SessionsStore(source, live);
    const a = await clinic('Alpha');
    const pt = (await users.insertIfEmailFree(
      source.manager,
      {
        clinicId: a.clinicId,
        email: `pt.${randomBytes(4).toString('hex')}@example.test`,
        passwordHash: null,
        fullName: 'Alpha Physio',
        role: 'physical_therapist',
        licenceNumber: 'PT-1',
        licenceRegion: 'TX',
        licenceExpiresOn: `${now.getUTCFullYear() + 1}-01-01`,
        activatedAt: now,
      },
      now,
    ))!;
    alpha = { ...a, pt };
    beta = await clinic('Beta');
  });
  afterAll(async () => {
    await live?.onApplicationShutdown();
    await source?.destroy();
    await db?.drop();
  });

  it("reads and changes a clinic's rows only with that clinic's scope", async () => {
    const mine = scopeOf(alpha.admin);
    const theirs = scopeOf(beta.admin);
    expect((await users.own(mine, alpha.pt.id))?.id).toBe(alpha.pt.id);
    expect(await users.own(theirs, alpha.pt.id)).toBeNull();
    expect(await users.updateOwn(theirs, alpha.pt.id, { bio: 'cross-clinic write' }, now)).toBeNull();
    expect((await users.own(mine, alpha.pt.id))?.bio).toBeNull();
    expect((await users.members(theirs, { limit: 10 })).map((u) => u.id)).toEqual([beta.admin.id]);
    expect((await clinics.own(theirs))?.id).toBe(beta.clinicId);
    expect(await clinics.updateOwn(theirs, { name: 'Renamed' }, now)).toMatchObject({ id: beta.clinicId, name: 'Renamed' });
    expect((await clinics.own(mine))?.name).toBe('Alpha');
  });

  it('shows another clinic only its listed practitioners', async () => {
    const theirs = scopeOf(beta.admin);
    expect((await users.visiblePractitioner(theirs, alpha.pt.id, now))?.id).toBe(alpha.pt.id);
    expect(await users.visiblePractitioner(theirs, alpha.admin.id, now)).toBeNull();
    expect((await users.visiblePractitioner(scopeOf(alpha.pt), alpha.admin.id, now))?.id).toBe(alpha.admin.id);
    // Past the licence's expiry the practitioner is no longer listed.
    expect(
      await users.visiblePractitioner(theirs, alpha.pt.id, new Date(`${now.getUTCFullYear() + 2}-01-02T00:00:00Z`)),
    ).toBeNull();
  });

  it('prepares the hot reads: the session check and the practitioner profile', async () => {
    const sessionId = await sessions.start(source.manager, alpha.pt.id, now, { requestId: 'int-spec' });
    const live = await sessions.authenticate(sessionId, alpha.pt.id, new Date(now.getTime() - 60_000));
    expect(live).toEqual({ clinic_id: alpha.clinicId, role: 'physical_therapist', is_admin: false });
    await users.visiblePractitioner(scopeOf(beta.admin), alpha.pt.id, now);
    const prepared = await source.query<{ statement: string }[]>(`SELECT statement FROM pg_prepared_statements`);
    expect(prepared.some((p) => p.statement.includes('FROM auth_sessions s JOIN users u'))).toBe(true);
    expect(prepared.some((p) => p.statement.includes('JOIN clinics c ON c.id = u.clinic_id'))).toBe(true);
    // A revoked session is over at once.
    await sessions.end(source.manager, { sessionId }, 'logout', now);
    expect(await sessions.authenticate(sessionId, alpha.pt.id, new Date(now.getTime() - 60_000))).toBeNull();
  });
});
