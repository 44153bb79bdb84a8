import { createHash } from 'node:crypto';
import { Clock } from '@referloop/common';
import { clinicPayload, PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { actOk, createPatient, createReferral, injuryReferralBody, someoneWaitsOnALock } from './support/referral-helpers';
import { type CapturedEmail, eventually, startSmtpSink } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  sessionIdOf,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
  tokenClaims,
} from './support/test-app';

const NEW_PASSWORD = 'a-brand-new-passphrase';
const DAY_MS = 86_400_000;

/** Quoted-printable bodies: undo soft line breaks and =XX escapes. */
function decodedBody(mail: CapturedEmail): string {
  return mail.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Account lifecycle over HTTP with the worker running: reset, change, sessions, lifetime, deactivation. */
describe('accounts', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let db: Client;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp(
      {
        SMTP_URL: smtp.url,
        OUTBOX_SWEEP_INTERVAL: '250ms',
        SESSION_MAX_AGE: '2d',
        REFRESH_TOKEN_TTL_SECONDS: String(DAY_MS / 1000),
      },
      { worker: true },
    );
    db = new Client({ connectionString: t.database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await smtp.close();
  });
  afterEach(() => jest.restoreAllMocks());

  /** Moves the app's clock `ms` ahead of the wall clock. */
  const advanceClock = (ms: number) => {
    jest.spyOn(Clock.prototype, 'now').mockImplementation(() => new Date(Date.now() + ms));
  };

  const login = (email: string, password = PASSWORD, userAgent = 'jest') =>
    t.http.post('/api/v1/auth/login').set('User-Agent', userAgent).send({ email, password });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  /** Asks for a reset and answers the token from the emailed link. */
  async function resetToken(email: string): Promise<string> {
    const before = smtp.messages.length;
    await t.http.post('/api/v1/auth/password-reset').send({ email }).expect(202);
    // The reset email itself: another email to the address (its invitation) can arrive meanwhile.
    const mail = await eventually(
      () =>
        smtp.messages
          .slice(before)
          .find(
            (m) =>
              (m.to.includes(email.toLowerCase()) || m.to.includes(email)) &&
              m.raw.includes('Subject: Reset your ReferLoop password'),
          ),
      'password reset email',
    );
    const link = /https?:\/\/\S+\/reset-password#token=([A-Za-z0-9_%-]+)/.exec(decodedBody(mail));
    expect(link).not.toBeNull();
    return decodeURIComponent(link![1]);
  }

  describe('password reset', () => {
    it('emails a link whose token signs in once, and ends every other session', async () => {
      const { admin } = await registerClinic(t.http);
      const other = (await login(admin.email).expect(200)).body;

      const token = await resetToken(admin.email);
      // Its page asks first whether the link works (asking uses nothing up).
      await t.http.post('/api/v1/auth/password-reset/lookup').send({ token }).expect(204);
      await t.http.post('/api/v1/auth/password-reset/lookup').send({ token }).expect(204);
      const mail = smtp.messages.find((m) => m.to.includes(admin.email))!;
      // The token rides in the fragment, never in a query string a server would log.
      expect(decodedBody(mail)).toContain(`http://referloop.test/reset-password#token=`);
      expect(decodedBody(mail)).not.toContain('?token=');

      const signedIn = await t.http
        .post('/api/v1/auth/password-reset/confirm')
        .send({ token, password: NEW_PASSWORD })
        .expect(200);
      expect(signedIn.body).toMatchObject({ user: { id: admin.id, email: admin.email }, expiresIn: expect.any(Number) });
      await t.http.get('/api/v1/me').set(bearer(signedIn.body.accessToken)).expect(200);

      // Every other session ended: access and refresh tokens of both earlier sign-ins.
      await t.http.get('/api/v1/me').set(admin.auth).expect(401);
      await t.http.get('/api/v1/me').set(bearer(other.accessToken)).expect(401);
      await t.http.post('/api/v1/auth/refresh').send({ refreshToken: other.refreshToken }).expect(401);

      await login(admin.email).expect(401);
      await login(admin.email, NEW_PASSWORD).expect(200);

      // Single use.
      const again = await t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password: PASSWORD });
      expectProblem(again, 400, 'validation_failed');
      expect(again.body.errors).toEqual([{ field: 'token', message: 'is invalid, already used or expired' }]);
      const used = await t.http.post('/api/v1/auth/password-reset/lookup').send({ token });
      expectProblem(used, 400, 'validation_failed');
      expect(used.body.errors).toEqual([{ field: 'token', message: 'is invalid, already used or expired' }]);
    });

    it('lets exactly one of two concurrent confirmations with the same token through', async () => {
      const { admin } = await registerClinic(t.http);
      const token = await resetToken(admin.email);
      const answers = await Promise.all(
        ['first-new-password', 'second-new-password'].map((password) =>
          t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password }),
        ),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
      const winner = answers[0].status === 200 ? 'first-new-password' : 'second-new-password';
      await login(admin.email, winner).expect(200);
    });

    it("lets one of two of an account's links confirmed at once through, and refuses the other (no deadlock)", async () => {
      // Each confirm used to lock its own reset, then wait for the other's to use it up: a 500, some runs.
      // (The newer link now kills the older on request; the confirms still take the account's lock first.)
      for (let round = 0; round < 4; round++) {
        const { admin } = await registerClinic(t.http);
        const tokens = [await resetToken(admin.email), await resetToken(admin.email)];
        const passwords = ['first-new-password', 'second-new-password'];
        const answers = await Promise.all(
          tokens.map((token, i) => t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password: passwords[i] })),
        );
        expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
        expectProblem(
          answers.find((r) => r.status === 400)!,
          400,
          'validation_failed',
        );
        await login(admin.email, passwords[answers.findIndex((r) => r.status === 200)]).expect(200);
      }
    });

    it('answers 202 for an unknown or deactivated address and sends nothing', async () => {
      const clinic = await registerClinic(t.http);
      const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
      await t.http.post(`/api/v1/practitioners/${lmt.id}/deactivate`).set(clinic.admin.auth).expect(200);
      const unknown = uniqueEmail('nobody');

      const answers = await Promise.all(
        [unknown, lmt.email].map((email) => t.http.post('/api/v1/auth/password-reset').send({ email })),
      );
      expect(answers.map((r) => [r.status, r.text])).toEqual([
        [202, ''],
        [202, ''],
      ]);
      // An address that exists gets its email: once it has arrived, the two before it would have too.
      await resetToken(clinic.admin.email);
      const resets = smtp.messages.filter((m) => m.raw.includes('Subject: Reset your ReferLoop password'));
      expect(resets.filter((m) => m.to.includes(unknown) || m.to.includes(lmt.email))).toEqual([]);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM password_resets WHERE user_id = $1`, [lmt.id]);
      expect(rows[0].n).toBe(0);
      // Every request is audited alike (an account's or not): by the address's hash, never the address.
      const audited = await db.query<{ details: { emailSha256: string }; resource_id: string | null }>(
        `SELECT details, resource_id FROM audit_events WHERE action = 'auth.password_reset_requested' AND details->>'emailSha256' = ANY($1)`,
        [[unknown, lmt.email].map((email) => createHash('sha256').update(email.toLowerCase()).digest('hex'))],
      );
      expect(audited.rows).toHaveLength(2);
      expect(audited.rows.map((row) => row.resource_id)).toEqual([null, null]);
      expect(JSON.stringify(audited.rows)).not.toContain(unknown);
    });

    it('a reset link asked for before a deactivation stays dead after the reactivation', async () => {
      const clinic = await registerClinic(t.http);
      const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
      const token = await resetToken(lmt.email);
      await t.http.post(`/api/v1/practitioners/${lmt.id}/deactivate`).set(clinic.admin.auth).expect(200);
      await t.http.post(`/api/v1/practitioners/${lmt.id}/reactivate`).set(clinic.admin.auth).expect(200);
      const confirm = await t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password: 'a-password-after-all' });
      expectProblem(confirm, 400, 'validation_failed');
      // A new reset works.
      await t.http
        .post('/api/v1/auth/password-reset/confirm')
        .send({ token: await resetToken(lmt.email), password: 'a-password-after-all' })
        .expect(200);
    });

    it('makes every earlier link dead with a newer one, and emails an account at most 3 links an hour (202 all the same)', async () => {
      const { admin } = await registerClinic(t.http);
      const lookup = (token: string) => t.http.post('/api/v1/auth/password-reset/lookup').send({ token });
      const links = [await resetToken(admin.email), await resetToken(admin.email), await resetToken(admin.email.toUpperCase())];
      for (const token of links.slice(0, 2)) {
        const dead = await lookup(token);
        expectProblem(dead, 400, 'validation_failed');
        expect(dead.body.errors).toEqual([{ field: 'token', message: 'is invalid, already used or expired' }]);
      }
      await lookup(links[2]).expect(204);

      // A fourth within the hour: answered alike, but nothing is written or emailed, and the newest link still works.
      const fourth = await t.http.post('/api/v1/auth/password-reset').send({ email: admin.email });
      expect([fourth.status, fourth.text]).toEqual([202, '']);
      const { rows } = await db.query(
        `SELECT (SELECT count(*)::int FROM password_resets WHERE user_id = $1) AS resets,
                (SELECT count(*)::int FROM outbox_events WHERE type = 'password_reset.requested' AND payload->>'passwordResetId' IN
                   (SELECT id::text FROM password_resets WHERE user_id = $1)) AS emails`,
        [admin.id],
      );
      expect(rows[0]).toEqual({ resets: 3, emails: 3 });
      await lookup(links[2]).expect(204);
      const audited = await db.query(
        `SELECT details->>'limited' AS limited FROM audit_events WHERE action = 'auth.password_reset_requested' AND resource_id = $1 ORDER BY id`,
        [admin.id],
      );
      expect(audited.rows.map((r) => r.limited)).toEqual([null, null, null, 'true']);

      // An hour after the first, the account gets a link again.
      advanceClock(3600_000 + 1_000);
      const later = await resetToken(admin.email);
      await t.http.post('/api/v1/auth/password-reset/confirm').send({ token: later, password: NEW_PASSWORD }).expect(200);
    });

    it('refuses a link after its hour, and an unknown token', async () => {
      const { admin } = await registerClinic(t.http);
      const token = await resetToken(admin.email);
      advanceClock(3600_000 + 1_000);
      expectProblem(
        await t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password: NEW_PASSWORD }),
        400,
        'validation_failed',
      );
      jest.restoreAllMocks();
      expectProblem(
        await t.http.post('/api/v1/auth/password-reset/confirm').send({ token: 'not-a-token', password: NEW_PASSWORD }),
        400,
        'validation_failed',
      );
      // The expired link changed nothing.
      await login(admin.email).expect(200);
    });
  });

  describe('password change', () => {
    it('needs the current password, keeps this session and ends the others', async () => {
      const { admin } = await registerClinic(t.http);
      const other = (await login(admin.email).expect(200)).body;

      const wrong = await t.http
        .post('/api/v1/me/password')
        .set(admin.auth)
        .send({ currentPassword: 'not the password', newPassword: NEW_PASSWORD });
      expectProblem(wrong, 403, 'forbidden');
      expect(wrong.body.errors).toEqual([{ field: 'currentPassword', message: 'is not your current password' }]);
      await t.http.get('/api/v1/me').set(bearer(other.accessToken)).expect(200);

      await t.http
        .post('/api/v1/me/password')
        .set(admin.auth)
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
        .expect(204);
      await t.http.get('/api/v1/me').set(admin.auth).expect(200);
      await t.http.post('/api/v1/auth/refresh').send({ refreshToken: admin.refreshToken }).expect(200);
      await t.http.get('/api/v1/me').set(bearer(other.accessToken)).expect(401);
      await t.http.post('/api/v1/auth/refresh').send({ refreshToken: other.refreshToken }).expect(401);
      await login(admin.email).expect(401);
      await login(admin.email, NEW_PASSWORD).expect(200);
    });

    it('of several changes at once from the current password, takes one and refuses the rest (403)', async () => {
      const { admin } = await registerClinic(t.http);
      const tries = ['first', 'second', 'third', 'fourth', 'fifth'].map((n) => `${NEW_PASSWORD}-${n}`);
      const answers = await Promise.all(
        tries.map((newPassword) =>
          t.http.post('/api/v1/me/password').set(admin.auth).send({ currentPassword: PASSWORD, newPassword }),
        ),
      );
      const taken = answers.flatMap((res, i) => (res.status === 204 ? [tries[i]] : []));
      expect(taken).toHaveLength(1);
      for (const res of answers.filter((r) => r.status !== 204)) expectProblem(res, 403, 'forbidden');
      // The one answered 204 is the password now.
      await login(admin.email, taken[0]).expect(200);
    });

    it('turns an earlier reset link into a dead one', async () => {
      const { admin } = await registerClinic(t.http);
      const token = await resetToken(admin.email);
      await t.http
        .post('/api/v1/me/password')
        .set(admin.auth)
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
        .expect(204);
      expectProblem(
        await t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password: 'someone-elses-choice' }),
        400,
        'validation_failed',
      );
    });
  });

  describe('easily guessed passwords, refused wherever a password is set (400 naming the field)', () => {
    const TOO_COMMON = 'is too common: choose a less guessable one';
    const HAS_EMAIL = 'must not contain your email address';
    const refusedAs = (res: Response, field: string, message: string) => {
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field, message }]);
    };

    it('on sign-up: a common password, a sequence, one character repeated, the email or its name part', async () => {
      const email = uniqueEmail('Guessable.Owner');
      const signUp = (password: string) =>
        t.http
          .post('/api/v1/auth/register-clinic')
          .send({ clinic: clinicPayload(), admin: { email, password, fullName: 'Gus Able' } });
      const cases: [string, string][] = [
        ['1234567890', 'is a simple sequence (like 1234567890 or abcdefghij): choose a less guessable one'],
        ['password1234', TOO_COMMON],
        ['PASSWORD1234', TOO_COMMON],
        ['aaaaaaaaaaaa', 'is one character or a short pattern repeated: choose a less guessable one'],
        [email, HAS_EMAIL],
        [email.toUpperCase(), HAS_EMAIL],
        [`${email.split('@')[0]}!2024`, HAS_EMAIL],
      ];
      for (const [password, message] of cases) refusedAs(await signUp(password), 'admin.password', message);
      // Nothing was registered: the address is still free.
      await signUp(PASSWORD).expect(201);
    });

    it('on accepting an invitation, and the link still works after the refusal', async () => {
      const clinic = await registerClinic(t.http);
      const email = uniqueEmail('invitee');
      const invited = await t.http
        .post('/api/v1/practitioners')
        .set(clinic.admin.auth)
        .send(practitionerPayload('physical_therapist', new Date(), { email }))
        .expect(201);
      const accept = (password: string) =>
        t.http.post('/api/v1/auth/accept-invitation').send({ token: invited.body.invitation.token, password });
      refusedAs(await accept('qwertyuiop'), 'password', TOO_COMMON);
      refusedAs(await accept(`my ${email}`), 'password', HAS_EMAIL);
      await accept(PASSWORD).expect(200);
    });

    it('on a password reset, and the link still works after the refusal', async () => {
      const { admin } = await registerClinic(t.http);
      const token = await resetToken(admin.email);
      const confirm = (password: string) => t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password });
      refusedAs(await confirm(admin.email), 'password', HAS_EMAIL);
      refusedAs(await confirm('iloveyou123'), 'password', TOO_COMMON);
      await login(admin.email).expect(200);
      await confirm(NEW_PASSWORD).expect(200);
      await login(admin.email, NEW_PASSWORD).expect(200);
    });

    it('on a password change, which leaves the password and the sessions as they were', async () => {
      const { admin } = await registerClinic(t.http);
      const other = (await login(admin.email).expect(200)).body;
      const change = (newPassword: string) =>
        t.http.post('/api/v1/me/password').set(admin.auth).send({ currentPassword: PASSWORD, newPassword });
      refusedAs(await change('Password1234'), 'newPassword', TOO_COMMON);
      refusedAs(await change(`${admin.email}-new`), 'newPassword', HAS_EMAIL);
      await t.http.get('/api/v1/me').set(bearer(other.accessToken)).expect(200);
      await login(admin.email).expect(200);
    });
  });

  describe('sessions', () => {
    it('lists live sessions with the current one marked, ends one, and logout-all ends them all', async () => {
      const { admin } = await registerClinic(t.http);
      const phone = (await login(admin.email, PASSWORD, 'Phone Browser/1.0').expect(200)).body;
      const laptop = (await login(admin.email, PASSWORD, 'Laptop Browser/2.0').expect(200)).body;

      const list = await t.http.get('/api/v1/me/sessions').set(bearer(laptop.accessToken)).expect(200);
      expect(list.body.nextCursor).toBeNull();
      expect(list.body.items).toHaveLength(3);
      const current = list.body.items.filter((s: { current: boolean }) => s.current);
      expect(current).toHaveLength(1);
      expect(current[0]).toMatchObject({ userAgent: 'Laptop Browser/2.0', ip: expect.stringContaining('127.0.0.1') });
      expect(current[0].createdAt).toEqual(expect.any(String));
      expect(current[0].lastUsedAt).toEqual(expect.any(String));
      const phoneSession = list.body.items.find((s: { userAgent: string }) => s.userAgent === 'Phone Browser/1.0');

      // Ending the phone's session: its tokens stop working, the laptop's do not.
      await t.http.delete(`/api/v1/me/sessions/${phoneSession.id}`).set(bearer(laptop.accessToken)).expect(204);
      await t.http.get('/api/v1/me').set(bearer(phone.accessToken)).expect(401);
      await t.http.post('/api/v1/auth/refresh').send({ refreshToken: phone.refreshToken }).expect(401);
      await t.http.get('/api/v1/me').set(bearer(laptop.accessToken)).expect(200);
      const after = await t.http.get('/api/v1/me/sessions').set(bearer(laptop.accessToken)).expect(200);
      expect(after.body.items.map((s: { id: string }) => s.id)).not.toContain(phoneSession.id);
      // Twice: it is gone.
      await t.http.delete(`/api/v1/me/sessions/${phoneSession.id}`).set(bearer(laptop.accessToken)).expect(404);

      // Another user's session is not found.
      const stranger = (await registerClinic(t.http)).admin;
      const theirs = (await t.http.get('/api/v1/me/sessions').set(stranger.auth).expect(200)).body.items[0];
      expectProblem(await t.http.delete(`/api/v1/me/sessions/${theirs.id}`).set(admin.auth), 404, 'not_found');
      await t.http.get('/api/v1/me').set(stranger.auth).expect(200);

      await t.http.post('/api/v1/auth/logout-all').set(bearer(laptop.accessToken)).expect(204);
      for (const token of [admin.accessToken, laptop.accessToken]) await t.http.get('/api/v1/me').set(bearer(token)).expect(401);
      await t.http.post('/api/v1/auth/refresh').send({ refreshToken: admin.refreshToken }).expect(401);
      await login(admin.email).expect(200);

      // Both are audited as the account's own acts (the refused 404s change nothing and are not).
      const { rows } = await db.query(
        `SELECT action, actor_id, clinic_id, resource_type, resource_id, outcome, details FROM audit_events
          WHERE action IN ('auth.session_ended', 'auth.logout_all') AND clinic_id = $1 ORDER BY id`,
        [admin.clinicId],
      );
      const own = {
        actor_id: admin.id,
        clinic_id: admin.clinicId,
        resource_type: 'user',
        resource_id: admin.id,
        outcome: 'success',
      };
      expect(rows).toEqual([
        { action: 'auth.session_ended', ...own, details: { sessionId: phoneSession.id } },
        { action: 'auth.logout_all', ...own, details: { sessions: 2 } },
      ]);
    });

    it('pages the sessions by last use, each once, and refuses a cursor of another list', async () => {
      const { admin } = await registerClinic(t.http);
      for (let i = 0; i < 4; i++) {
        advanceClock(1_000);
        await login(admin.email, PASSWORD, `Browser ${i}/1.0`).expect(200);
      }
      const seen: { id: string; userAgent: string }[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await t.http
          .get('/api/v1/me/sessions')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(admin.auth)
          .expect(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items);
        cursor = page.body.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      // The sign-up's session, then the four sign-ins: the latest first, none twice.
      expect(seen.map((s) => s.userAgent).slice(0, 4)).toEqual([
        'Browser 3/1.0',
        'Browser 2/1.0',
        'Browser 1/1.0',
        'Browser 0/1.0',
      ]);
      expect(new Set(seen.map((s) => s.id)).size).toBe(5);

      const foreign = Buffer.from(JSON.stringify(['notifications', '2026-01-01T00:00:00.000000Z', seen[0].id])).toString(
        'base64url',
      );
      expectProblem(await t.http.get('/api/v1/me/sessions').query({ cursor: foreign }).set(admin.auth), 400, 'validation_failed');
      expectProblem(await t.http.get('/api/v1/me/sessions').query({ limit: 101 }).set(admin.auth), 400, 'validation_failed');
    });

    it('refresh updates lastUsedAt', async () => {
      const { admin } = await registerClinic(t.http);
      const [before] = (await t.http.get('/api/v1/me/sessions').set(admin.auth).expect(200)).body.items;
      advanceClock(60_000);
      const refreshed = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: admin.refreshToken }).expect(200);
      const [after] = (await t.http.get('/api/v1/me/sessions').set(bearer(refreshed.body.accessToken)).expect(200)).body.items;
      expect(after.id).toBe(before.id);
      expect(new Date(after.lastUsedAt).getTime()).toBeGreaterThanOrEqual(new Date(before.lastUsedAt).getTime() + 60_000);
    });
  });

  describe('absolute session lifetime (SESSION_MAX_AGE=2d here)', () => {
    it('caps refresh tokens at the session end and refuses a refresh after it', async () => {
      const { admin } = await registerClinic(t.http);
      const [{ created_at: createdAt }] = (
        await db.query(`SELECT s.created_at FROM auth_sessions s WHERE s.user_id = $1`, [admin.id])
      ).rows as { created_at: Date }[];
      const sessionEnd = createdAt.getTime() + 2 * DAY_MS;

      // Refresh tokens live 1 day here. 0.75 days in, a refresh gives one for a full day.
      advanceClock(0.75 * DAY_MS);
      const first = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: admin.refreshToken }).expect(200);
      // 1.5 days in, the refresh works, but its token expires at the session end, not a day later.
      jest.restoreAllMocks();
      advanceClock(1.5 * DAY_MS);
      const refreshed = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(200);
      const [tokenId] = (refreshed.body.refreshToken as string).split('.');
      const { rows } = await db.query(`SELECT expires_at FROM refresh_tokens WHERE id = $1`, [tokenId]);
      expect((rows[0].expires_at as Date).getTime()).toBe(sessionEnd);
      await t.http.get('/api/v1/me').set(bearer(refreshed.body.accessToken)).expect(200);

      // Past the end: no refresh, and the access token issued a moment ago stops working too.
      jest.restoreAllMocks();
      advanceClock(2 * DAY_MS + 1_000);
      await t.http.post('/api/v1/auth/refresh').send({ refreshToken: refreshed.body.refreshToken }).expect(401);
      await t.http.get('/api/v1/me').set(bearer(refreshed.body.accessToken)).expect(401);
      const list = await t.http.get('/api/v1/me/sessions').set(bearer(refreshed.body.accessToken));
      expect(list.status).toBe(401);
    });
  });

  describe("the web app's session near its end (SESSION_MAX_AGE=2d, refresh tokens 1 day here)", () => {
    const WEB = { 'x-referloop-client': 'web', Origin: 'http://referloop.test' };
    const setCookies = (res: Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const cookieOf = (res: Response, name: string) => {
      const cookie = setCookies(res).find((c) => c.startsWith(`${name}=`));
      if (!cookie) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookies(res))}`);
      return cookie;
    };
    const maxAge = (cookie: string) => Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    const webRefresh = (res: Response) =>
      t.http.post('/api/v1/auth/refresh').set(WEB).set('Cookie', cookieOf(res, 'referloop_refresh').split(';')[0]).send({});

    it("gives cookies and access tokens no longer than the session's time left", async () => {
      const { admin } = await registerClinic(t.http);
      const signedIn = await t.http
        .post('/api/v1/auth/login')
        .set(WEB)
        .send({ email: admin.email, password: PASSWORD })
        .expect(200);
      const { rows } = await db.query(`SELECT created_at FROM auth_sessions WHERE id = $1`, [
        sessionIdOf(signedIn.body.accessToken),
      ]);
      const sessionEnd = (rows[0].created_at as Date).getTime() + 2 * DAY_MS;
      // Fresh: a refresh token's day (less the moment since the token was issued).
      for (const name of ['referloop_refresh', 'referloop_events']) {
        const left = maxAge(cookieOf(signedIn, name));
        expect({ name, aDay: left <= DAY_MS / 1000 && left >= DAY_MS / 1000 - 5 }).toEqual({ name, aDay: true });
      }

      advanceClock(0.75 * DAY_MS);
      const first = await webRefresh(signedIn).expect(200);
      // Half a day left: half a day, not a full one again.
      jest.restoreAllMocks();
      advanceClock(1.5 * DAY_MS);
      const second = await webRefresh(first).expect(200);
      for (const name of ['referloop_refresh', 'referloop_events']) {
        const left = maxAge(cookieOf(second, name));
        expect({ name, closeToHalfADay: left <= DAY_MS / 2000 && left > DAY_MS / 2000 - 60 }).toEqual({
          name,
          closeToHalfADay: true,
        });
      }

      // 15 seconds left: cookies of 15 seconds at most, and an access token that ends with the session.
      jest.restoreAllMocks();
      const at = sessionEnd - 15_000;
      advanceClock(at - Date.now());
      const last = await webRefresh(second).expect(200);
      for (const name of ['referloop_refresh', 'referloop_events']) {
        const left = maxAge(cookieOf(last, name));
        expect({ name, left: left <= 15 && left >= 10 }).toEqual({ name, left: true });
      }
      expect(last.body.expiresIn).toBeLessThanOrEqual(15);
      expect(last.body.expiresIn).toBeGreaterThanOrEqual(10);
      // The stream token itself expires with the session, as its cookie does.
      const streamToken = cookieOf(last, 'referloop_events').split(';')[0].slice('referloop_events='.length);
      expect(tokenClaims(streamToken).exp * 1000).toBeLessThanOrEqual(sessionEnd);
      await t.http.get('/api/v1/me').set(bearer(last.body.accessToken)).expect(200);
    });

    it("caps an API client's access token at the session's end too", async () => {
      const { admin } = await registerClinic(t.http);
      const { rows } = await db.query(`SELECT created_at FROM auth_sessions WHERE id = $1`, [sessionIdOf(admin.accessToken)]);
      const sessionEnd = (rows[0].created_at as Date).getTime() + 2 * DAY_MS;
      advanceClock(0.75 * DAY_MS);
      const first = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: admin.refreshToken }).expect(200);
      expect(first.body.expiresIn).toBeGreaterThan(60);
      jest.restoreAllMocks();
      advanceClock(1.5 * DAY_MS);
      const second = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(200);
      jest.restoreAllMocks();
      advanceClock(sessionEnd - 30_000 - Date.now());
      const last = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: second.body.refreshToken }).expect(200);
      expect(last.body.expiresIn).toBeLessThanOrEqual(30);
      expect(last.body.expiresIn).toBeGreaterThanOrEqual(25);
      expect(Object.keys(last.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'user']);
    });
  });

  describe('deactivation', () => {
    let clinic: TestClinic;
    let pt: SignedInUser;

    beforeAll(async () => {
      clinic = await registerClinic(t.http, { name: 'Capitol Physio' });
      pt = await addPractitioner(t.http, clinic, 'physical_therapist');
    });

    it('locks the user out at once, hides them, and reactivation lets them back in', async () => {
      const massage = await registerClinic(t.http);
      const lmt = await addPractitioner(t.http, massage, 'massage_therapist');
      const second = (await login(pt.email).expect(200)).body;

      const res = await t.http.post(`/api/v1/practitioners/${pt.id}/deactivate`).set(clinic.admin.auth).expect(200);
      expect(res.body).toMatchObject({ id: pt.id, active: false });

      // Every route answers 401 to their old tokens.
      const routes: ['get' | 'post' | 'patch', string, object?][] = [
        ['get', '/api/v1/me'],
        ['get', '/api/v1/me/sessions'],
        ['post', '/api/v1/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }],
        ['get', '/api/v1/clinics/me'],
        ['get', '/api/v1/practitioners'],
        ['get', `/api/v1/practitioners/${pt.id}`],
        ['patch', `/api/v1/practitioners/${pt.id}`, { bio: 'still here' }],
        ['get', '/api/v1/patients'],
        ['get', '/api/v1/referrals?box=received'],
        ['get', '/api/v1/notifications'],
        ['post', '/api/v1/auth/logout'],
        ['post', '/api/v1/auth/logout-all'],
      ];
      for (const user of [pt, { ...pt, accessToken: second.accessToken, auth: bearer(second.accessToken) }]) {
        for (const [method, path, body] of routes) {
          const call = t.http[method](path).set(user.auth);
          const answer = body ? await call.send(body) : await call;
          expect({ method, path, status: answer.status }).toEqual({ method, path, status: 401 });
        }
      }
      // A refresh says why the session ended, to the holder of its token only (a forged secret learns nothing).
      for (const token of [pt.refreshToken, second.refreshToken]) {
        const ended = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: token }).expect(401);
        expect(ended.body).toMatchObject({ code: 'unauthenticated', reason: 'deactivated' });
      }
      const [tokenId] = String(pt.refreshToken).split('.');
      const forged = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: `${tokenId}.${'x'.repeat(43)}` })
        .expect(401);
      expect(forged.body.reason).toBeUndefined();

      // Signing in fails; with the right password it says why (with a wrong one, exactly as for anyone).
      const denied = await login(pt.email).expect(401);
      expect(denied.body).toMatchObject({ code: 'unauthenticated', reason: 'deactivated' });
      expect(denied.body.detail).toMatch(/deactivated/);
      const wrongForDeactivated = await login(pt.email, 'not the password').expect(401);
      const wrong = await login(clinic.admin.email, 'not the password').expect(401);
      expect(wrongForDeactivated.body).toEqual({ ...wrong.body, instance: expect.any(String), requestId: expect.any(String) });

      // Out of the directory and not a possible recipient; their own clinic still sees them.
      const directory = await t.http.get('/api/v1/practitioners?type=physical_therapist').set(lmt.auth).expect(200);
      expect(directory.body.items.map((p: { id: string }) => p.id)).not.toContain(pt.id);
      await t.http.get(`/api/v1/practitioners/${pt.id}`).set(lmt.auth).expect(404);
      const own = await t.http.get(`/api/v1/practitioners/${pt.id}`).set(clinic.admin.auth).expect(200);
      expect(own.body.active).toBe(false);
      const members = await t.http.get('/api/v1/clinics/me/members').set(clinic.admin.auth).expect(200);
      expect(members.body.items.map((m: { id: string; active: boolean }) => [m.id, m.active])).toEqual(
        expect.arrayContaining([
          [clinic.admin.id, true],
          [pt.id, false],
        ]),
      );
      expectProblem(await t.http.get('/api/v1/clinics/me/members').set(lmt.auth), 403, 'forbidden');
      const patient = await createPatient(t.http, lmt);
      const refused = await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .send({ kind: 'injury_care', patientId: patient.id, recipientId: pt.id, priority: 'routine', reason: 'Shoulder pain' });
      expectProblem(refused, 422, 'recipient_not_accepting');
      expect(refused.body.errors).toEqual([{ field: 'recipientId', message: 'is deactivated' }]);

      const back = await t.http.post(`/api/v1/practitioners/${pt.id}/reactivate`).set(clinic.admin.auth).expect(200);
      expect(back.body.active).toBe(true);
      const again = await login(pt.email).expect(200);
      pt = {
        ...pt,
        accessToken: again.body.accessToken,
        refreshToken: again.body.refreshToken,
        auth: bearer(again.body.accessToken),
      };
      const listed = await t.http.get('/api/v1/practitioners?type=physical_therapist').set(lmt.auth).expect(200);
      expect(listed.body.items.map((p: { id: string }) => p.id)).toContain(pt.id);
    });

    it('only an admin of the clinic deactivates: a practitioner gets 403, another clinic 404', async () => {
      const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
      expectProblem(await t.http.post(`/api/v1/practitioners/${pt.id}/deactivate`).set(lmt.auth), 403, 'forbidden');
      const other = await registerClinic(t.http);
      expectProblem(await t.http.post(`/api/v1/practitioners/${pt.id}/deactivate`).set(other.admin.auth), 404, 'not_found');
      await t.http.get('/api/v1/me').set(pt.auth).expect(200);
    });

    it('two admins deactivating each other at once leave the clinic exactly one active admin', async () => {
      const duo = await registerClinic(t.http);
      const second = await addPractitioner(t.http, duo, 'massage_therapist');
      // A practitioner with admin rights: the second active admin.
      await t.http.patch(`/api/v1/practitioners/${second.id}`).set(duo.admin.auth).send({ isAdmin: true }).expect(200);
      const answers = await Promise.all([
        t.http.post(`/api/v1/practitioners/${second.id}/deactivate`).set(duo.admin.auth),
        t.http.post(`/api/v1/practitioners/${duo.admin.id}/deactivate`).set(second.auth),
      ]);
      expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
      for (const loser of answers.filter((r) => r.status !== 200)) expect([401, 422]).toContain(loser.status);
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM users WHERE clinic_id = $1 AND is_admin AND deactivated_at IS NULL`,
        [duo.clinicId],
      );
      expect(rows[0].n).toBe(1);
    });

    it("refuses to deactivate the clinic's last active admin (422 last_admin)", async () => {
      const solo = await registerClinic(t.http);
      expectProblem(
        await t.http.post(`/api/v1/practitioners/${solo.admin.id}/deactivate`).set(solo.admin.auth),
        422,
        'last_admin',
      );
      await t.http.get('/api/v1/me').set(solo.admin.auth).expect(200);
    });
  });

  describe('unowned referrals and reassignment', () => {
    it("lists the clinic's open referrals of deactivated practitioners and hands them to a colleague", async () => {
      const massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
      const physio = await registerClinic(t.http, { name: 'Capitol Physio' });
      const lmt = await addPractitioner(t.http, massage, 'massage_therapist');
      const lmt2 = await addPractitioner(t.http, massage, 'massage_therapist');
      const pt = await addPractitioner(t.http, physio, 'physical_therapist');
      const pt2 = await addPractitioner(t.http, physio, 'physical_therapist');
      const physioLmt = await addPractitioner(t.http, physio, 'massage_therapist');
      const patient = await createPatient(t.http, lmt);
      const sent = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
      const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
      const closed = await actOk(
        t.http,
        lmt,
        await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send'),
        'cancel',
        { reason: 'Patient moved away' },
      );

      const unowned = async (clinic: TestClinic) =>
        (
          (await t.http.get('/api/v1/admin/referrals/unowned').set(clinic.admin.auth).expect(200)).body.items as { id: string }[]
        ).map((r) => r.id);
      expect(await unowned(physio)).toEqual([]);
      await t.http.post(`/api/v1/practitioners/${pt.id}/deactivate`).set(physio.admin.auth).expect(200);
      // The recipient side: the sent, open referral only (not the draft it never saw, not the terminal one).
      expect(await unowned(physio)).toEqual([sent.id]);
      // The read is audited with the referrals it showed (their patients' data), as the boxes are.
      const listed = await db.query<{ details: { ids: string[] } }>(
        `SELECT details FROM audit_events WHERE action = 'referral.list_unowned' AND actor_id = $1 ORDER BY occurred_at DESC LIMIT 1`,
        [physio.admin.id],
      );
      expect(listed.rows[0].details.ids).toEqual([sent.id]);
      expect(await unowned(massage)).toEqual([]);
      expectProblem(await t.http.get('/api/v1/admin/referrals/unowned').set(pt2.auth), 403, 'forbidden');
      // A draft to them cannot be sent any more.
      expectProblem(
        await t.http.post(`/api/v1/referrals/${draft.id}/send`).set(lmt.auth).send({ version: draft.version }),
        422,
        'recipient_not_accepting',
      );

      // What would have told the deactivated PT tells their clinic's admins, who can reassign it.
      await t.http.post(`/api/v1/referrals/${sent.id}/messages`).set(lmt.auth).send({ body: 'Any news?' }).expect(201);
      await eventually(async () => {
        const inbox = await t.http.get('/api/v1/notifications').set(physio.admin.auth).expect(200);
        return inbox.body.items.find((n: { referralId: string }) => n.referralId === sent.id);
      }, "the deactivated PT's admin told of the message");

      const reassign = (user: SignedInUser, body: object, id = sent.id) =>
        t.http.post(`/api/v1/referrals/${id}/reassign`).set(user.auth).send(body);
      // Like every write on a referral, it names the version read (body or If-Match): 400 without.
      const unversioned = await reassign(physio.admin, { practitionerId: pt2.id });
      expectProblem(unversioned, 400, 'validation_failed');
      expect(unversioned.body.errors).toEqual([expect.objectContaining({ field: 'version' })]);
      const v = sent.version;
      expectProblem(await reassign(physio.admin, { practitionerId: physioLmt.id, version: v }), 422, 'recipient_type_mismatch');
      const inactive = await reassign(physio.admin, { practitionerId: pt.id, version: v });
      expectProblem(inactive, 404, 'not_found');
      expect(inactive.body.errors).toEqual([expect.objectContaining({ field: 'practitionerId' })]);
      // A practitioner of another clinic, a referral another clinic cannot see, a practitioner (not admin): refused.
      expectProblem(await reassign(physio.admin, { practitionerId: lmt2.id, version: v }), 404, 'not_found');
      const stranger = await registerClinic(t.http);
      expectProblem(await reassign(stranger.admin, { practitionerId: pt2.id, version: v }), 404, 'not_found');
      expectProblem(await reassign(pt2, { practitionerId: pt2.id, version: v }), 404, 'not_found');
      // A party who is not an admin of the clinic: 403.
      expectProblem(await reassign(lmt, { practitionerId: lmt2.id, version: v }), 403, 'forbidden');
      expectProblem(await reassign(physio.admin, { practitionerId: pt2.id, version: sent.version + 5 }), 409, 'stale_version');
      expectProblem(
        await reassign(physio.admin, { practitionerId: pt2.id, version: closed.version }, closed.id),
        409,
        'invalid_transition',
      );

      const moved = await t.http
        .post(`/api/v1/referrals/${sent.id}/reassign`)
        .set(physio.admin.auth)
        .set('If-Match', `"${v}"`)
        .send({ practitionerId: pt2.id })
        .expect(200);
      expect(moved.body).toMatchObject({ id: sent.id, recipientId: pt2.id, status: sent.status, version: sent.version + 1 });
      const events = (await t.http.get(`/api/v1/referrals/${sent.id}/events`).set(lmt.auth).expect(200)).body.items;
      expect(events.filter((e: { type: string }) => e.type === 'reassigned')).toEqual([
        expect.objectContaining({
          actorId: physio.admin.id,
          fromStatus: 'sent',
          toStatus: 'sent',
          data: { side: 'recipient', fromPractitionerId: pt.id, toPractitionerId: pt2.id },
        }),
      ]);
      expect(await unowned(physio)).toEqual([]);
      // The new owner is told and can act on it.
      await eventually(async () => {
        const inbox = await t.http.get('/api/v1/notifications').set(pt2.auth).expect(200);
        return inbox.body.items.find(
          (n: { type: string; referralId: string }) => n.type === 'reassigned' && n.referralId === sent.id,
        );
      }, 'reassigned notification');
      // So is the sender: their patient is now with another practitioner there.
      const toSender = await eventually(async () => {
        const inbox = await t.http.get('/api/v1/notifications').set(lmt.auth).expect(200);
        return inbox.body.items.find(
          (n: { type: string; referralId: string }) => n.type === 'reassigned' && n.referralId === sent.id,
        ) as { title: string } | undefined;
      }, "the sender's reassigned notification");
      expect(toSender.title).toBe('Referral handed to a colleague');
      const read = await t.http.get(`/api/v1/referrals/${sent.id}`).set(pt2.auth).expect(200);
      await actOk(t.http, pt2, read.body, 'accept');

      // The sender side: the massage clinic's admin moves the deactivated LMT's referrals, drafts included.
      await t.http.post(`/api/v1/practitioners/${lmt.id}/deactivate`).set(massage.admin.auth).expect(200);
      expect((await unowned(massage)).sort()).toEqual([sent.id, draft.id].sort());
      const draftNow = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(massage.admin.auth).expect(200)).body;
      const movedDraft = await reassign(massage.admin, { practitionerId: lmt2.id, version: draftNow.version }, draft.id).expect(
        200,
      );
      expect(movedDraft.body).toMatchObject({ senderId: lmt2.id, status: 'draft' });
      expect(await unowned(massage)).toEqual([sent.id]);
    });

    it('a reassignment to someone deactivated at that very moment is refused, not handed to them', async () => {
      const massage = await registerClinic(t.http, { name: 'Race Massage' });
      const physio = await registerClinic(t.http, { name: 'Race Physio' });
      const lmt = await addPractitioner(t.http, massage, 'massage_therapist');
      const pt = await addPractitioner(t.http, physio, 'physical_therapist');
      const leaving = await addPractitioner(t.http, physio, 'physical_therapist');
      const patient = await createPatient(t.http, lmt);
      const sent = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');

      // The deactivation holds the practitioner's row while the reassignment arrives (as the admin's deactivate does).
      const deactivation = new Client({ connectionString: t.database.url });
      await deactivation.connect();
      try {
        await deactivation.query('BEGIN');
        await deactivation.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [leaving.id]);
        const reassigning = t.http
          .post(`/api/v1/referrals/${sent.id}/reassign`)
          .set(physio.admin.auth)
          .send({ practitionerId: leaving.id, version: sent.version })
          .then((answer) => answer);
        await someoneWaitsOnALock(db, 'the reassignment');
        await deactivation.query('UPDATE users SET deactivated_at = now() WHERE id = $1', [leaving.id]);
        await deactivation.query('COMMIT');
        const refused = await reassigning;
        expectProblem(refused, 404, 'not_found');
        expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'practitionerId' })]);
      } finally {
        await deactivation.end();
      }
      const now = await t.http.get(`/api/v1/referrals/${sent.id}`).set(lmt.auth).expect(200);
      expect(now.body).toMatchObject({ recipientId: pt.id, version: sent.version });
      expect(now.body.timeline.map((e: { type: string }) => e.type)).not.toContain('reassigned');
    });

    it('keeps naming who acted after the referral changed hands (the timeline is a record)', async () => {
      const massage = await registerClinic(t.http, { name: 'Handover Massage' });
      const physio = await registerClinic(t.http, { name: 'Handover Physio' });
      const first = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Alex Original' });
      const second = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Blair Successor' });
      const pt = await addPractitioner(t.http, physio, 'physical_therapist');
      const patient = await createPatient(t.http, first);
      const sent = await actOk(t.http, first, await createReferral(t.http, first, injuryReferralBody(patient.id, pt.id)), 'send');
      await t.http.post(`/api/v1/practitioners/${first.id}/deactivate`).set(massage.admin.auth).expect(200);
      await t.http
        .post(`/api/v1/referrals/${sent.id}/reassign`)
        .set(massage.admin.auth)
        .send({ practitionerId: second.id, version: sent.version })
        .expect(200);
      const events = (await t.http.get(`/api/v1/referrals/${sent.id}/events`).set(second.auth).expect(200)).body.items as {
        type: string;
        actorId: string | null;
        actorName: string | null;
      }[];
      expect(events.find((e) => e.type === 'sent')).toMatchObject({ actorId: first.id, actorName: 'Alex Original' });
      const reassigned = events.find((e) => e.type === 'reassigned');
      expect(reassigned).toMatchObject({ actorId: massage.admin.id, actorName: expect.any(String) });
      // The referral's own timeline says the same.
      const read = (await t.http.get(`/api/v1/referrals/${sent.id}`).set(second.auth).expect(200)).body;
      expect(read.timeline.find((e: { type: string }) => e.type === 'sent')).toMatchObject({ actorName: 'Alex Original' });
    });
  });

  describe('a sign-in racing a change that ends sessions', () => {
    /** The session a sign-in started during the change must not outlive it: the sign-in fails, or its token does. */
    const expectNoSurvivor = async (signIn: Response) => {
      if (signIn.status === 200) {
        expectProblem(await t.http.get('/api/v1/me').set(bearer(signIn.body.accessToken)), 401, 'unauthenticated');
      } else {
        expectProblem(signIn, 401, 'unauthenticated');
      }
    };

    it('with the old password during a password change', async () => {
      // The sign-in checked the old password before the change committed, then started a session after its revocation.
      for (let round = 0; round < 8; round++) {
        const { admin } = await registerClinic(t.http);
        const [changed, signIn] = await Promise.all([
          t.http.post('/api/v1/me/password').set(admin.auth).send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
          login(admin.email),
        ]);
        expect(changed.status).toBe(204);
        await expectNoSurvivor(signIn);
      }
    });

    it('during a deactivation, also once the account is reactivated', async () => {
      for (let round = 0; round < 8; round++) {
        const clinic = await registerClinic(t.http);
        const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
        const [deactivated, signIn] = await Promise.all([
          t.http.post(`/api/v1/practitioners/${lmt.id}/deactivate`).set(clinic.admin.auth).send({}),
          login(lmt.email),
        ]);
        expect(deactivated.status).toBe(200);
        await t.http.post(`/api/v1/practitioners/${lmt.id}/reactivate`).set(clinic.admin.auth).send({}).expect(200);
        await expectNoSurvivor(signIn);
      }
    });
  });

  describe('login auditing', () => {
    it('records success and failure with the account and IP, never the password', async () => {
      const { admin } = await registerClinic(t.http);
      await login(admin.email, 'wrong-password-123').expect(401);
      await login(admin.email).expect(200);
      await login(uniqueEmail('ghost'), 'ghost-password-1').expect(401);

      const { rows } = await db.query(
        `SELECT action, actor_id, clinic_id, resource_id, outcome, ip, details::text AS details
           FROM audit_events WHERE action LIKE 'auth.login%' AND (resource_id = $1 OR resource_id IS NULL) ORDER BY id`,
        [admin.id],
      );
      const mine = rows.filter((r) => r.resource_id === admin.id);
      expect(mine.map((r) => [r.action, r.outcome, r.actor_id, r.clinic_id])).toEqual([
        ['auth.login_failed', 'denied', null, admin.clinicId],
        ['auth.login', 'success', admin.id, admin.clinicId],
      ]);
      expect(rows.some((r) => r.action === 'auth.login_failed' && r.resource_id === null)).toBe(true);
      for (const row of rows) {
        expect(row.ip).toContain('127.0.0.1');
        expect(row.details ?? '').not.toContain('wrong-password-123');
        expect(row.details ?? '').not.toContain('ghost-password-1');
      }
      // The admin sees their clinic's sign-ins in the audit log.
      const audit = await t.http.get('/api/v1/admin/audit-events').set(admin.auth).expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['auth.login', 'auth.login_failed']),
      );
    });
  });
});
