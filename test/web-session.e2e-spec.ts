import { PASSWORD } from '@referloop/testing';
import type { Response } from 'supertest';
import { registerClinic, startTestApp, type TestApp, type TestClinic } from './support/test-app';

/**
 * The web app's session: the refresh token as an httpOnly, SameSite=Strict cookie on
 * /api/v1/auth (header `x-referloop-client: web`), Origin-checked when the cookie authenticates;
 * API clients keep their body tokens.
 */
describe('web session cookie', () => {
  const WEB = { 'x-referloop-client': 'web' };
  // testConfig's PUBLIC_URL: a trusted origin.
  const APP_ORIGIN = 'http://referloop.test';
  let t: TestApp;
  let clinic: TestClinic;

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://partner-app.example' });
    clinic = await registerClinic(t.http);
  });
  afterAll(() => t.close());

  function refreshCookie(res: Response): string {
    const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const cookie = header.find((c) => c.startsWith('referloop_refresh='));
    if (!cookie) throw new Error(`no refresh cookie in ${JSON.stringify(header)}`);
    return cookie;
  }
  /** The `name=value` pair a browser would send back. */
  const pair = (setCookie: string) => setCookie.split(';')[0];

  async function webLogin(): Promise<{ cookie: string; accessToken: string }> {
    const res = await t.http
      .post('/api/v1/auth/login')
      .set(WEB)
      .send({ email: clinic.admin.email, password: PASSWORD })
      .expect(200);
    return { cookie: pair(refreshCookie(res)), accessToken: res.body.accessToken };
  }

  const refreshWithCookie = (cookie: string, origin: string | null = APP_ORIGIN) => {
    const req = t.http.post('/api/v1/auth/refresh').set(WEB).set('Cookie', cookie);
    return (origin === null ? req : req.set('Origin', origin)).send({});
  };

  it('gives the web app its refresh token as an httpOnly, SameSite=Strict cookie on /api/v1/auth, not in the body', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .set(WEB)
      .send({ email: clinic.admin.email, password: PASSWORD })
      .expect(200);
    expect(res.body.refreshToken).toBeUndefined();
    expect(typeof res.body.accessToken).toBe('string');
    expect(res.body.user.email).toBe(clinic.admin.email);
    const cookie = refreshCookie(res);
    expect(cookie).toMatch(/^referloop_refresh=[0-9a-f-]{36}\.\S+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/api/v1/auth');
    expect(cookie).toMatch(/Max-Age=\d+/);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('keeps body tokens and sets no cookie for API clients', async () => {
    const res = await t.http.post('/api/v1/auth/login').send({ email: clinic.admin.email, password: PASSWORD }).expect(200);
    expect(typeof res.body.refreshToken).toBe('string');
    expect(res.headers['set-cookie']).toBeUndefined();
    const refreshed = await t.http.post('/api/v1/auth/refresh').send({ refreshToken: res.body.refreshToken }).expect(200);
    expect(typeof refreshed.body.refreshToken).toBe('string');
    expect(refreshed.headers['set-cookie']).toBeUndefined();
  });

  it('marks the cookie Secure except over plain http on a loopback address', async () => {
    const local = await t.http
      .post('/api/v1/auth/login')
      .set(WEB)
      .send({ email: clinic.admin.email, password: PASSWORD })
      .expect(200);
    expect(refreshCookie(local)).not.toContain('Secure');
    const remote = await t.http
      .post('/api/v1/auth/login')
      .set(WEB)
      .set('Host', 'referloop.example')
      .send({ email: clinic.admin.email, password: PASSWORD })
      .expect(200);
    expect(refreshCookie(remote)).toContain('Secure');
  });

  it('refreshes with the cookie, rotating it, and reuse of a rotated cookie revokes the session', async () => {
    const { cookie } = await webLogin();
    const first = await refreshWithCookie(cookie).expect(200);
    expect(first.body.refreshToken).toBeUndefined();
    const rotated = pair(refreshCookie(first));
    expect(rotated).not.toBe(cookie);
    await t.http.get('/api/v1/me').set('Authorization', `Bearer ${first.body.accessToken}`).expect(200);

    // The old cookie again (a stolen copy): 401, the cookie is cleared, and the whole session ends.
    const reuse = await refreshWithCookie(cookie).expect(401);
    expect(refreshCookie(reuse)).toMatch(/^referloop_refresh=;.*Max-Age=0/);
    // The events cookie of the session goes with it.
    expect(([] as string[]).concat(reuse.headers['set-cookie'] ?? [])).toContainEqual(
      expect.stringMatching(/^referloop_events=;.*Path=\/api\/v1\/events.*Max-Age=0/),
    );
    await refreshWithCookie(rotated).expect(401);
    await t.http.get('/api/v1/me').set('Authorization', `Bearer ${first.body.accessToken}`).expect(401);
  });

  it('takes the rotated cookie of a lost answer, sent again with the same Idempotency-Key, for a retry', async () => {
    const { cookie } = await webLogin();
    const lost = pair(refreshCookie(await refreshWithCookie(cookie).set('Idempotency-Key', 'web-refresh-1').expect(200)));
    // The page reloaded before the answer arrived: the browser still holds the first cookie.
    const retried = await refreshWithCookie(cookie).set('Idempotency-Key', 'web-refresh-1').expect(200);
    const rotated = pair(refreshCookie(retried));
    expect(rotated).toBe(lost);
    await t.http.get('/api/v1/me').set('Authorization', `Bearer ${retried.body.accessToken}`).expect(200);
    await refreshWithCookie(rotated).expect(200);
  });

  it('answers a cookie refresh with the cookie even without the web header: a page script cannot read the token', async () => {
    const { cookie } = await webLogin();
    const res = await t.http.post('/api/v1/auth/refresh').set('Cookie', cookie).set('Origin', APP_ORIGIN).send({}).expect(200);
    expect(res.body.refreshToken).toBeUndefined();
    expect(typeof res.body.accessToken).toBe('string');
    // The browser holds the new token, so the app's next refresh works.
    const rotated = pair(refreshCookie(res));
    expect(rotated).not.toBe(cookie);
    await refreshWithCookie(rotated).expect(200);
  });

  it.each([
    ['the PUBLIC_URL origin', APP_ORIGIN],
    ['a CORS origin', 'https://partner-app.example'],
  ])('accepts a cookie refresh from %s', async (_label, origin) => {
    const { cookie } = await webLogin();
    await refreshWithCookie(cookie, origin).expect(200);
  });

  it("accepts a cookie refresh from the request's own origin", async () => {
    const { cookie } = await webLogin();
    await t.http
      .post('/api/v1/auth/refresh')
      .set(WEB)
      .set('Host', 'app.referloop.example')
      .set('Origin', 'http://app.referloop.example')
      .set('Cookie', cookie)
      .send({})
      .expect(200);
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['a look-alike of the app', 'http://referloop.test.evil.example'],
    ['no Origin at all', null],
  ])('refuses a cookie refresh from %s (403) and leaves the session working', async (_label, origin) => {
    const { cookie } = await webLogin();
    const res = await refreshWithCookie(cookie, origin).expect(403);
    expect(res.body.code).toBe('forbidden');
    expect(res.headers['set-cookie']).toBeUndefined();
    // Nothing was rotated: the same cookie still works from the app.
    await refreshWithCookie(cookie).expect(200);
  });

  it('answers 400 naming refreshToken to a refresh with neither a body token nor a cookie', async () => {
    const res = await t.http.post('/api/v1/auth/refresh').set(WEB).send({}).expect(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ field: 'refreshToken' })] });
  });

  it('logout clears the cookie and ends the session', async () => {
    const { cookie, accessToken } = await webLogin();
    const res = await t.http
      .post('/api/v1/auth/logout')
      .set(WEB)
      .set('Origin', APP_ORIGIN)
      .set('Cookie', cookie)
      .set('Authorization', `Bearer ${accessToken}`)
      .expect(204);
    expect(refreshCookie(res)).toMatch(/^referloop_refresh=;.*Max-Age=0/);
    await refreshWithCookie(cookie).expect(401);
  });

  it('refuses a cookie logout from another origin (403) and keeps the session', async () => {
    const { cookie, accessToken } = await webLogin();
    await t.http
      .post('/api/v1/auth/logout')
      .set(WEB)
      .set('Origin', 'https://evil.example')
      .set('Cookie', cookie)
      .set('Authorization', `Bearer ${accessToken}`)
      .expect(403);
    await refreshWithCookie(cookie).expect(200);
  });

  it('logout-all clears the cookie and ends every session', async () => {
    const here = await webLogin();
    const elsewhere = await webLogin();
    const res = await t.http
      .post('/api/v1/auth/logout-all')
      .set(WEB)
      .set('Origin', APP_ORIGIN)
      .set('Cookie', here.cookie)
      .set('Authorization', `Bearer ${here.accessToken}`)
      .expect(204);
    expect(refreshCookie(res)).toMatch(/^referloop_refresh=;.*Max-Age=0/);
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? [])).toContainEqual(
      expect.stringMatching(/^referloop_events=;.*Path=\/api\/v1\/events.*Max-Age=0/),
    );
    await refreshWithCookie(here.cookie).expect(401);
    await refreshWithCookie(elsewhere.cookie).expect(401);
  });
});
