import { createHmac } from 'node:crypto';
import { REFRESH_RETRY_WINDOW_MS } from '@referloop/identity';
import { clinicPayload, isoDateFrom, PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { addPractitioner, expectProblem, registerClinic, sessionIdOf, startTestApp, type TestApp } from './support/test-app';

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('registers a clinic with its admin and signs the admin in', async () => {
    const email = uniqueEmail('Owner');
    const res = await t.http
      .post('/api/v1/auth/register-clinic')
      .send({ clinic: clinicPayload({ name: 'Sunrise Massage' }), admin: { email, password: PASSWORD, fullName: 'Olive Owner' } })
      .expect(201);
    expect(res.body.clinic).toMatchObject({
      name: 'Sunrise Massage',
      address: { city: 'Austin', country: 'US' },
      timezone: 'America/Chicago',
    });
    expect(res.body.user).toMatchObject({ email, role: 'clinic_admin', clinicId: res.body.clinic.id, status: 'active' });
    expect(res.body.expiresIn).toBeLessThanOrEqual(900);
    expect(typeof res.body.accessToken).toBe('string');
    expect(res.body.user.passwordHash).toBeUndefined();

    const me = await t.http.get('/api/v1/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
    expect(me.body).toMatchObject({ id: res.body.user.id, clinic: { id: res.body.clinic.id, name: 'Sunrise Massage' } });
  });

  /** The one answer to a sign-up with a taken address, whoever holds it (an account, or an invitation). */
  const TAKEN_MESSAGE = 'is already registered or invited: sign in, or accept the invitation emailed to it';

  it('refuses a second account with the same email in any letter case (409 email_taken naming admin.email)', async () => {
    const { admin } = await registerClinic(t.http);
    const res = await t.http
      .post('/api/v1/auth/register-clinic')
      .send({ clinic: clinicPayload(), admin: { email: admin.email.toUpperCase(), password: PASSWORD, fullName: 'Copy Cat' } })
      .expect(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('email_taken');
    expect(res.body.errors).toEqual([{ field: 'admin.email', message: TAKEN_MESSAGE }]);
  });

  it('answers a sign-up with an address invited to a clinic exactly as one with an account (no telling which)', async () => {
    const clinic = await registerClinic(t.http, { name: 'Invites First' });
    const email = uniqueEmail('invited-first');
    await t.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .send(practitionerPayload('physical_therapist', new Date(), { email }))
      .expect(201);
    const signUp = (address: string) =>
      t.http
        .post('/api/v1/auth/register-clinic')
        .send({ clinic: clinicPayload(), admin: { email: address, password: PASSWORD, fullName: 'Someone' } })
        .expect(409);
    const invited = await signUp(email);
    const account = await signUp(clinic.admin.email);
    const answer = (res: Response) => {
      const { requestId: _id, ...body } = res.body as { requestId: string };
      return { status: res.status, body, type: res.headers['content-type'] };
    };
    expect(answer(invited)).toEqual(answer(account));
    expect(invited.body).toMatchObject({ code: 'email_taken', errors: [{ field: 'admin.email', message: TAKEN_MESSAGE }] });
    expect(invited.body.detail).toContain('accept the invitation');
    expect(invited.body.detail).not.toContain('Invites First');
  });

  it('creates exactly one account when the same registration arrives twice at once', async () => {
    const email = uniqueEmail('double');
    const body = { clinic: clinicPayload(), admin: { email, password: PASSWORD, fullName: 'Double Click' } };
    const results = await Promise.all([1, 2, 3].map(() => t.http.post('/api/v1/auth/register-clinic').send(body)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const login = await t.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(200);
    expect(login.body.user.email).toBe(email);
  });

  it('logs in case-insensitively and rejects a wrong password with 401', async () => {
    const { admin } = await registerClinic(t.http);
    await t.http.post('/api/v1/auth/login').send({ email: admin.email.toUpperCase(), password: PASSWORD }).expect(200);
    const wrong = await t.http.post('/api/v1/auth/login').send({ email: admin.email, password: 'not the password' }).expect(401);
    expect(wrong.body.code).toBe('unauthenticated');
    const unknown = await t.http
      .post('/api/v1/auth/login')
      .send({ email: uniqueEmail('nobody'), password: PASSWORD })
      .expect(401);
    expect(unknown.body.detail).toBe(wrong.body.detail);
  });

  it('takes an email address in one spelling: composed accents, an ASCII domain, no invisible characters', async () => {
    const local = uniqueEmail('jose').split('@')[0];
    // "josé" typed (U+00E9) and pasted from a decomposed source ("e" + U+0301) are one address.
    const composed = `${local}-jos\u00e9@example.com`;
    const decomposed = `${local}-jose\u0301@example.com`;
    const signUp = (email: string) =>
      t.http
        .post('/api/v1/auth/register-clinic')
        .send({ clinic: clinicPayload(), admin: { email, password: PASSWORD, fullName: 'Jose Accent' } });
    const first = await signUp(decomposed).expect(201);
    expect(first.body.user.email).toBe(composed);
    await t.http.post('/api/v1/auth/login').send({ email: composed, password: PASSWORD }).expect(200);
    const again = await signUp(composed).expect(409);
    expect(again.body.code).toBe('email_taken');

    // A browser's email field sends an international domain in its ASCII form (xn--…): one account, either spelling.
    const unicodeDomain = `${local}@b\u00fccher.example`;
    const asciiDomain = `${local}@xn--bcher-kva.example`;
    const idn = await signUp(unicodeDomain).expect(201);
    expect(idn.body.user.email).toBe(asciiDomain);
    await t.http.post('/api/v1/auth/login').send({ email: asciiDomain, password: PASSWORD }).expect(200);
    await t.http.post('/api/v1/auth/login').send({ email: unicodeDomain, password: PASSWORD }).expect(200);
    expect((await signUp(asciiDomain).expect(409)).body.code).toBe('email_taken');

    // A zero-width space pasted along looks like the address but is another one, which no mail reaches.
    const hidden = await signUp(`${local}\u200b@example.com`).expect(400);
    expect(hidden.body.errors).toEqual([{ field: 'admin.email', message: 'must not contain invisible characters' }]);
  });

  it('rotates refresh tokens, and reuse of a rotated token revokes the whole family', async () => {
    const { admin } = await registerClinic(t.http);
    const first = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: admin.refreshToken }).expect(200);
    expect(first.body.refreshToken).not.toBe(admin.refreshToken);
    const second = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(200);

    // The first token was rotated: presenting it again is reuse.
    const reuse = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: admin.refreshToken }).expect(401);
    expect(reuse.body.code).toBe('unauthenticated');
    // The family is revoked: the newest refresh token and its access token no longer work.
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: second.body.refreshToken }).expect(401);
    await t.http.get('/api/v1/me').set('Authorization', `Bearer ${second.body.accessToken}`).expect(401);
  });

  describe('a refresh whose answer was lost (a reload, a dropped connection)', () => {
    const refresh = (refreshToken: string, key?: string) => {
      const req = t.http.post('/api/v1/auth/refresh');
      return (key === undefined ? req : req.set('Idempotency-Key', key)).send({ refreshToken });
    };
    /** Both tokens refused, and the session with them: what reuse does. */
    const expectRevoked = async (...refreshTokens: string[]) => {
      for (const token of refreshTokens) expectProblem(await refresh(token), 401, 'unauthenticated');
    };

    it('is retried with the same Idempotency-Key: the same refresh token again, with an access token', async () => {
      const { admin } = await registerClinic(t.http);
      const lost = await refresh(admin.refreshToken, 'refresh-1').expect(200);
      const retried = await refresh(admin.refreshToken, 'refresh-1').expect(200);
      expect(retried.body.refreshToken).toBe(lost.body.refreshToken);
      await t.http.get('/api/v1/me').set('Authorization', `Bearer ${retried.body.accessToken}`).expect(200);
      // Retries at once (a client retrying while its retry is on its way) all get that one token.
      const atOnce = await Promise.all([1, 2, 3].map(() => refresh(admin.refreshToken, 'refresh-1')));
      expect(atOnce.map((r) => [r.status, r.body.refreshToken])).toEqual(atOnce.map(() => [200, lost.body.refreshToken]));
      // It rotates as any other, and once it has, the retry is reuse: the session ends.
      const next = await refresh(lost.body.refreshToken).expect(200);
      expectProblem(await refresh(admin.refreshToken, 'refresh-1'), 401, 'unauthenticated');
      await expectRevoked(next.body.refreshToken);
      await t.http.get('/api/v1/me').set('Authorization', `Bearer ${next.body.accessToken}`).expect(401);
    });

    it('is reuse when the token it would answer was used while it waited for the session', async () => {
      const { admin } = await registerClinic(t.http);
      const answer = await refresh(admin.refreshToken, 'refresh-1').expect(200);
      const sessionId = sessionIdOf(answer.body.accessToken);
      // The session's row is held, so the use of the answer's token and then the retry queue for it,
      // in that order; a second connection watches them wait (outside the holder's transaction,
      // whose view of pg_stat_activity would stay as it was at its first look).
      const holder = new Client({ connectionString: t.database.url });
      const watcher = new Client({ connectionString: t.database.url });
      await Promise.all([holder.connect(), watcher.connect()]);
      const waiting = async (n: number) => {
        for (let i = 0; i < 200; i++) {
          const { rows } = await watcher.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          if (rows[0].n >= n) return;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        throw new Error(`${n} refreshes never waited for the session`);
      };
      let use: Promise<Response>;
      let retry: Promise<Response>;
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM auth_sessions WHERE id = $1 FOR UPDATE', [sessionId]);
        use = refresh(answer.body.refreshToken).then((r) => r);
        await waiting(1);
        retry = refresh(admin.refreshToken, 'refresh-1').then((r) => r);
        await waiting(2);
        await holder.query('COMMIT');
      } finally {
        await Promise.all([holder.end(), watcher.end()]);
      }
      const [used, retried] = [await use, await retry];
      expect(used.status).toBe(200);
      expectProblem(retried, 401, 'unauthenticated');
      await expectRevoked(used.body.refreshToken);
    });

    it('is reuse with another key or none', async () => {
      for (const key of ['refresh-2', undefined]) {
        const { admin } = await registerClinic(t.http);
        const answer = await refresh(admin.refreshToken, 'refresh-1').expect(200);
        const res = await refresh(admin.refreshToken, key);
        expect({ key, status: res.status, code: res.body.code }).toEqual({ key, status: 401, code: 'unauthenticated' });
        await expectRevoked(answer.body.refreshToken);
      }
    });

    it('is reuse after the retry window', async () => {
      const { admin } = await registerClinic(t.http);
      const answer = await refresh(admin.refreshToken, 'refresh-1').expect(200);
      const [tokenId] = admin.refreshToken.split('.');
      const sql = new Client({ connectionString: t.database.url });
      await sql.connect();
      try {
        await sql.query(`UPDATE refresh_tokens SET used_at = used_at - $2::interval WHERE id = $1`, [
          tokenId,
          `${REFRESH_RETRY_WINDOW_MS + 1000} milliseconds`,
        ]);
      } finally {
        await sql.end();
      }
      expectProblem(await refresh(admin.refreshToken, 'refresh-1'), 401, 'unauthenticated');
      await expectRevoked(answer.body.refreshToken);
    });

    it('refuses a malformed key with 400 naming Idempotency-Key, and rotates nothing', async () => {
      const { admin } = await registerClinic(t.http);
      for (const key of ['two words', 'x'.repeat(256), 'clé']) {
        const res = await refresh(admin.refreshToken, key);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      }
      await refresh(admin.refreshToken).expect(200);
    });
  });

  it('answers 401 to a forged refresh token', async () => {
    const { admin } = await registerClinic(t.http);
    const [id] = admin.refreshToken.split('.');
    await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: `${id}.forged` })
      .expect(401);
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: 'garbage' }).expect(401);
    // 36 characters of the UUID alphabet that are not a UUID never reach the database (they were a 500).
    for (const tokenId of ['-'.repeat(36), 'a'.repeat(36), 'aaaaaaaa-aaaa-aaaa-aaaa-aaaa-aaaaaaa']) {
      const res = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: `${tokenId}.abc` });
      expectProblem(res, 401, 'unauthenticated');
    }
  });

  it('takes the bearer scheme in any letter case (RFC 9110)', async () => {
    const { admin } = await registerClinic(t.http);
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      await t.http.get('/api/v1/me').set('Authorization', `${scheme} ${admin.accessToken}`).expect(200);
    }
  });

  it('answers 401, not 500, to a token signed with the server key that names no session id', async () => {
    const { admin } = await registerClinic(t.http);
    const now = Math.floor(Date.now() / 1000);
    // An HS256 JWT made here with the server's own key (as a leaked key would allow).
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const sign = (claims: Record<string, unknown>) => {
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
      return `${unsigned}.${createHmac('sha256', t.config.jwt.secret).update(unsigned).digest('base64url')}`;
    };
    for (const claims of [{ sid: 'not-a-uuid' }, { sub: 'me', sid: admin.id }, { sid: 42 }]) {
      const forged = sign({ sub: admin.id, iss: 'referloop', aud: 'referloop-api', iat: now, exp: now + 60, ...claims });
      const res = await t.http.get('/api/v1/me').set('Authorization', `Bearer ${forged}`);
      expect([res.status, res.body.code]).toEqual([401, 'unauthenticated']);
    }
  });

  it('logout ends the session: its access and refresh tokens stop working', async () => {
    const { admin } = await registerClinic(t.http);
    const other = await t.http.post('/api/v1/auth/login').send({ email: admin.email, password: PASSWORD }).expect(200);
    await t.http.post('/api/v1/auth/logout').set(admin.auth).expect(204);
    await t.http.get('/api/v1/me').set(admin.auth).expect(401);
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: admin.refreshToken }).expect(401);
    // Another session of the same user is untouched.
    await t.http.get('/api/v1/me').set('Authorization', `Bearer ${other.body.accessToken}`).expect(200);
  });

  it('invites a practitioner who accepts once and can then sign in', async () => {
    const clinic = await registerClinic(t.http);
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .send({
        email: uniqueEmail('pt'),
        fullName: 'Pat Physio',
        role: 'physical_therapist',
        licence: { number: 'PT-1', region: 'TX', expiresOn: isoDateFrom(new Date(), 365) },
      })
      .expect(201);
    expect(invited.body).toMatchObject({ status: 'invited', role: 'physical_therapist', clinicId: clinic.clinicId });
    expect(invited.body.invitation.url).toContain(encodeURIComponent(invited.body.invitation.token));
    // Not yet a password: login fails.
    await t.http.post('/api/v1/auth/login').send({ email: invited.body.email, password: PASSWORD }).expect(401);

    const accepted = await t.http
      .post('/api/v1/auth/accept-invitation')
      .send({ token: invited.body.invitation.token, password: PASSWORD })
      .expect(200);
    expect(accepted.body.user).toMatchObject({ id: invited.body.id, status: 'active' });
    const again = await t.http
      .post('/api/v1/auth/accept-invitation')
      .send({ token: invited.body.invitation.token, password: PASSWORD })
      .expect(400);
    expect(again.body.code).toBe('validation_failed');
    await t.http.post('/api/v1/auth/login').send({ email: invited.body.email, password: PASSWORD }).expect(200);
  });

  it('a practitioner may not invite (403)', async () => {
    const clinic = await registerClinic(t.http);
    const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
    const res = await t.http
      .post('/api/v1/practitioners')
      .set(lmt.auth)
      .send({
        email: uniqueEmail(),
        fullName: 'X',
        role: 'massage_therapist',
        licence: { number: '1', region: 'TX', expiresOn: isoDateFrom(new Date(), 365) },
      })
      .expect(403);
    expect(res.body.code).toBe('forbidden');
  });
});
