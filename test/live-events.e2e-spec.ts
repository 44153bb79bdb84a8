import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createRootLogger } from '@referloop/common';
import { PASSWORD } from '@referloop/testing';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { createApiApp } from '../apps/api/src/http/create-api-app';
import { LiveHub } from '../apps/api/src/live/live-hub';
import { openLiveStream, type LiveEvent, type LiveStreamClient } from './support/live-stream';
import { actOk, createPatient, createReferral, inDays, injuryReferralBody } from './support/referral-helpers';
import { eventually } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  sessionIdOf,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

const CANARY = 'Zebulon-Canary';

async function listen(app: NestFastifyApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

const about = (id: string) => (e: LiveEvent) => e.data.id === id || e.data.referralId === id;

/**
 * Live updates (`GET /events`) across two API instances on one database: instance A (with the
 * worker) takes the changes, streams are opened on instance B.
 */
describe('live events', () => {
  let t: TestApp;
  let b: NestFastifyApplication;
  let urlA: string;
  let urlB: string;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let outsiderClinic: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let outsider: SignedInUser;
  let patientId: string;
  const streams: LiveStreamClient[] = [];
  const open = async (user: SignedInUser | undefined, lastEventId?: number, url = urlB) => {
    const stream = await openLiveStream(url, user?.accessToken, lastEventId);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    b = await createApiApp(t.config, createRootLogger('silent'));
    urlA = await listen(t.app);
    urlB = await listen(b);
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    outsiderClinic = await registerClinic(t.http, { name: 'Elsewhere Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    outsider = await addPractitioner(t.http, outsiderClinic, 'physical_therapist');
    patientId = (await createPatient(t.http, lmt, { firstName: CANARY, lastName: `${CANARY}-Last` })).id;
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await b.close();
    await t.close();
  });

  it('a change made through instance A reaches the parties’ streams on instance B, ids only', async () => {
    const ptStream = await open(pt);
    const lmtStream = await open(lmt);
    const ptAdminStream = await open(ptClinic.admin);
    const outsiderStream = await open(outsider);
    const outsiderAdminStream = await open(outsiderClinic.admin);
    expect(ptStream.status).toBe(200);

    const body = injuryReferralBody(patientId, pt.id, { reason: `${CANARY} reason`, observations: `${CANARY} observed` });
    const draft = await createReferral(t.http, lmt, body);
    await lmtStream.next((e) => e.event === 'referral.updated' && e.data.id === draft.id);
    const sent = await actOk(t.http, lmt, draft, 'send');

    const seen = await ptStream.next((e) => e.event === 'referral.updated' && e.data.id === sent.id);
    expect(seen.data).toEqual({ id: sent.id, version: sent.version, status: 'sent' });
    await ptAdminStream.next((e) => e.event === 'referral.updated' && e.data.id === sent.id);
    // The worker's dispatcher writes the PT's in-app notification: it is announced too.
    const notification = await ptStream.next((e) => e.event === 'notification.created');
    const inbox = await t.http.get('/api/v1/notifications').set(pt.auth).expect(200);
    expect(inbox.body.items.map((n: { id: string }) => n.id)).toContain(notification.data.id);

    await t.http
      .post(`/api/v1/referrals/${sent.id}/messages`)
      .set(pt.auth)
      .send({ body: `${CANARY} message` })
      .expect(201);
    const message = await lmtStream.next((e) => e.event === 'message.created');
    expect(message.data).toEqual({ referralId: sent.id });
    await ptStream.next((e) => e.event === 'message.created');

    // Ids strictly increasing on each stream.
    for (const s of [ptStream, lmtStream]) {
      const ids = s.events.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(ids.length);
    }
    // The third clinic heard nothing of it, and no stream carried patient data.
    expect(outsiderStream.events.filter(about(sent.id))).toEqual([]);
    expect(outsiderAdminStream.events.filter(about(sent.id))).toEqual([]);
    for (const s of streams) expect(s.raw()).not.toContain(CANARY);
  });

  it('a recipient hears nothing of a draft never sent; the sender does', async () => {
    const ptStream = await open(pt);
    const ptAdminStream = await open(ptClinic.admin);
    const lmtStream = await open(lmt);
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    await lmtStream.next(about(draft.id));
    // Events go out in id order: once a later change reaches the PT, the draft's would have too.
    const marker = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    await ptStream.next(about(marker.id));
    await ptAdminStream.next(about(marker.id));
    expect(ptStream.events.filter(about(draft.id))).toEqual([]);
    expect(ptAdminStream.events.filter(about(draft.id))).toEqual([]);
  });

  it('a follow-up made from a referral tells whoever has that referral open: its care chain changed', async () => {
    const lmtStream = await open(lmt);
    const ptStream = await open(pt);
    let injury = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    injury = await actOk(t.http, pt, injury, 'accept');
    injury = await actOk(t.http, pt, injury, 'schedule', { appointmentAt: inDays(2) });
    injury = await actOk(t.http, pt, injury, 'start-care');
    const careStarted = await lmtStream.next((e) => e.data.id === injury.id && e.data.version === injury.version);
    const plan = { frequencyWeeks: 2, pressure: 'moderate', precautions: 'No deep pressure over the neck' };
    const chainChanged = (e: LiveEvent) => e.id > careStarted.id && e.event === 'referral.updated' && e.data.id === injury.id;
    // A draft is its sender's alone: the physical therapist hears of it, the massage therapist of nothing, made or cancelled.
    const unsent = await t.http.post(`/api/v1/referrals/${injury.id}/follow-up`).set(pt.auth).send({ plan }).expect(201);
    await ptStream.next(chainChanged);
    await actOk(t.http, pt, unsent.body, 'cancel', { reason: 'Wrong plan' });
    const draft = await t.http.post(`/api/v1/referrals/${injury.id}/follow-up`).set(pt.auth).send({ plan }).expect(201);
    await t.http.post(`/api/v1/patients/${draft.body.patientId}/consents`).set(pt.auth).send({ scope: 'referral_sharing' });
    const followUp = await actOk(t.http, pt, draft.body, 'send');
    // The massage therapist hears of her own referral again once it is sent (its followUps changed), and it now lists the follow-up.
    const heard = await lmtStream.next(chainChanged);
    expect(heard.data).toEqual({ id: injury.id, version: injury.version, status: 'in_care' });
    await lmtStream.next(about(followUp.id));
    expect(lmtStream.events.filter(chainChanged)).toEqual([heard]);
    const read = await t.http.get(`/api/v1/referrals/${injury.id}`).set(lmt.auth).expect(200);
    expect(read.body.followUpIds).toContain(followUp.id);
  });

  it('resumes with Last-Event-ID without losing or repeating an event, on either instance', async () => {
    const control = await open(pt, undefined, urlA);
    const first = await open(pt);
    const referral = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    const last = await first.next(about(referral.id));
    first.close();

    // Missed while disconnected: an action, a message and the notifications they cause.
    const accepted = await actOk(t.http, pt, referral, 'accept', { note: 'Happy to' });
    await t.http.post(`/api/v1/referrals/${referral.id}/messages`).set(lmt.auth).send({ body: 'See you Tuesday' }).expect(201);
    await control.next((e) => e.event === 'message.created' && e.data.referralId === referral.id);

    const resumed = await open(pt, last.id, urlA);
    await resumed.next((e) => e.event === 'message.created' && e.data.referralId === referral.id);
    const after = (s: LiveStreamClient) =>
      s.events.filter((e) => e.id > last.id && e.id <= resumed.events[resumed.events.length - 1].id);
    expect(resumed.events.map((e) => e.id)).toEqual(after(control).map((e) => e.id));
    expect(resumed.events.filter((e) => e.event === 'referral.updated' && e.data.id === referral.id)).toEqual([
      expect.objectContaining({ data: { id: referral.id, version: accepted.version, status: 'accepted' } }),
    ]);
    // Nothing at or before the id it resumed from.
    expect(resumed.events.every((e) => e.id > last.id)).toBe(true);
  });

  it('starts a stream whose Last-Event-ID no event has yet (ahead of the journal) from now: it hears the next change', async () => {
    // It held back every event up to that id: the stream stayed silent.
    const ahead = await open(pt, 999_999_999_999_999);
    const referral = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    await ahead.next(about(referral.id));
  });

  it('holds an event back while an earlier id is still uncommitted, and passes a rolled-back one', async () => {
    const ptStream = await open(pt);
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      // A slow writer: its row's id is drawn now, its commit comes after a later change's.
      await db.query('BEGIN');
      await db.query('SELECT pg_current_xact_id()');
      const [{ id: slowId }] = (
        await db.query<{ id: string }>(
          `INSERT INTO live_events (type, referral_id, version, status, user_ids, clinic_ids)
           VALUES ('referral.updated', gen_random_uuid(), 1, 'sent', ARRAY[$1::uuid], '{}') RETURNING id`,
          [pt.id],
        )
      ).rows;
      const fast = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
      await b.get(LiveHub).poll();
      await b.get(LiveHub).poll();
      expect(ptStream.events.filter(about(fast.id))).toEqual([]);
      await db.query('COMMIT');
      const fastEvent = await ptStream.next(about(fast.id));
      const slowEvent = await ptStream.next((e) => e.id === Number(slowId));
      expect(slowEvent.id).toBeLessThan(fastEvent.id);
      expect(ptStream.events.indexOf(slowEvent)).toBeLessThan(ptStream.events.indexOf(fastEvent));

      // Rolled back: the gap is passed once every transaction that could fill it has ended.
      await db.query('BEGIN');
      await db.query(
        `INSERT INTO live_events (type, referral_id, version, status, user_ids, clinic_ids)
         VALUES ('referral.updated', gen_random_uuid(), 1, 'sent', ARRAY[$1::uuid], '{}')`,
        [pt.id],
      );
      const next = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
      await b.get(LiveHub).poll();
      expect(ptStream.events.filter(about(next.id))).toEqual([]);
      await db.query('ROLLBACK');
      await ptStream.next(about(next.id));
    } finally {
      await db.end();
    }
  });

  it('refuses a caller without a valid token (401) and a malformed Last-Event-ID (400)', async () => {
    const anonymous = await fetch(`${urlB}/api/v1/events`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await anonymous.json()) as { code: string }).code).toBe('unauthenticated');
    const forged = await t.http.get('/api/v1/events').set('Authorization', 'Bearer not.a.token');
    expectProblem(forged, 401, 'unauthenticated');
    const bad = await t.http.get('/api/v1/events').set(pt.auth).set('Last-Event-ID', 'abc');
    expectProblem(bad, 400, 'validation_failed');
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'Last-Event-ID' })]);
  });

  it('ends a stream at the heartbeat after its session is revoked', async () => {
    const signedIn = await t.http
      .post('/api/v1/auth/login')
      .send({ email: outsider.email, password: 'correct horse battery staple' });
    const token = signedIn.body.accessToken as string;
    const stream = await open({ ...outsider, accessToken: token, auth: { Authorization: `Bearer ${token}` } });
    const other = await open(outsider);
    let otherEnded = false;
    void other.ended.then(() => (otherEnded = true));
    await b.get(LiveHub).heartbeat();
    await eventually(() => stream.raw().includes(': heartbeat'), 'the heartbeat on the stream');
    await t.http.post('/api/v1/auth/logout').set('Authorization', `Bearer ${token}`).expect(204);
    await b.get(LiveHub).heartbeat();
    await stream.ended;
    // The user's other session keeps its stream: it gets all three heartbeats (and any the replica's
    // own 15-second timer sent meanwhile). The last one's bytes may still be on their way when the
    // hub's session check returns: wait for them rather than read at once.
    await b.get(LiveHub).heartbeat();
    await eventually(() => other.raw().split(': heartbeat').length - 1 >= 3 || undefined, 'three heartbeats on the other stream');
    expect(otherEnded).toBe(false);
  });

  it('ends a stream at once, not at the next heartbeat, when its session is revoked on another replica', async () => {
    const signedIn = await t.http
      .post('/api/v1/auth/login')
      .send({ email: outsider.email, password: 'correct horse battery staple' });
    const token = signedIn.body.accessToken as string;
    // Opened on replica b; the sign-out goes to replica a, whose NOTIFY reaches b.
    const stream = await open({ ...outsider, accessToken: token, auth: { Authorization: `Bearer ${token}` } });
    await t.http.post('/api/v1/auth/logout').set('Authorization', `Bearer ${token}`).expect(204);
    const late = new Promise<string>((resolve) => setTimeout(() => resolve('still open after 5 s'), 5_000).unref());
    expect(await Promise.race([stream.ended.then(() => 'ended'), late])).toBe('ended');
  });

  /**
   * The web app's session also opens the stream: a second httpOnly cookie on /api/v1/events, set,
   * rotated and cleared with the refresh cookie, naming the same session (never the refresh token).
   */
  describe('with the web session cookie', () => {
    const WEB = { 'x-referloop-client': 'web' };
    const APP_ORIGIN = 'http://referloop.test';
    let user: SignedInUser;
    let password = PASSWORD;

    beforeAll(async () => {
      user = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    });

    const setCookies = (res: Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const findCookie = (res: Response, name: string) => {
      const cookie = setCookies(res).find((c) => c.startsWith(`${name}=`));
      if (!cookie) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookies(res))}`);
      return cookie;
    };
    /** The `name=value` pair a browser sends back. */
    const pair = (setCookie: string) => setCookie.split(';')[0];

    async function webLogin(): Promise<{ events: string; refresh: string; accessToken: string; res: Response }> {
      const res = await t.http.post('/api/v1/auth/login').set(WEB).send({ email: user.email, password }).expect(200);
      return {
        events: pair(findCookie(res, 'referloop_events')),
        refresh: pair(findCookie(res, 'referloop_refresh')),
        accessToken: res.body.accessToken as string,
        res,
      };
    }
    const openWithCookie = async (cookie: string, extra: Record<string, string> = {}) => {
      const stream = await openLiveStream(urlB, undefined, undefined, { cookie, ...extra });
      streams.push(stream);
      return stream;
    };
    const sendToUser = async () =>
      actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, user.id)), 'send');
    const expectRefused = async (cookie: string, status: number, code: string, extra: Record<string, string> = {}) => {
      const res = await fetch(`${urlB}/api/v1/events`, { headers: { cookie, ...extra } });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { code: string }).code).toBe(code);
    };

    it('is set with the refresh cookie: httpOnly, SameSite=Strict, only for /api/v1/events, not the refresh token', async () => {
      const { res, events, refresh } = await webLogin();
      const cookie = findCookie(res, 'referloop_events');
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(cookie).toContain('Path=/api/v1/events');
      expect(cookie).toMatch(/Max-Age=[1-9]\d*/);
      expect(findCookie(res, 'referloop_refresh')).toContain('Path=/api/v1/auth');
      expect(events.split('=')[1]).not.toContain(refresh.split('=')[1].split('.')[1]);
      // API clients get no cookie at all.
      const api = await t.http.post('/api/v1/auth/login').send({ email: user.email, password }).expect(200);
      expect(api.headers['set-cookie']).toBeUndefined();
    });

    it('opens a stream with only the cookie (no Origin, or the app’s own) that gets the user’s events', async () => {
      const { events } = await webLogin();
      const plain = await openWithCookie(events);
      const fromApp = await openWithCookie(events, { origin: APP_ORIGIN });
      const sameOrigin = await openWithCookie(events, { origin: urlB });
      expect([plain.status, fromApp.status, sameOrigin.status]).toEqual([200, 200, 200]);
      const sent = await sendToUser();
      for (const s of [plain, fromApp, sameOrigin]) {
        const seen = await s.next((e) => e.event === 'referral.updated' && e.data.id === sent.id);
        expect(seen.data).toEqual({ id: sent.id, version: sent.version, status: 'sent' });
      }
    });

    it('refuses a cookie stream from a foreign Origin (403), a forged cookie (401), and tokens used as each other (401)', async () => {
      const { events, accessToken } = await webLogin();
      await expectRefused(events, 403, 'forbidden', { origin: 'https://evil.example' });
      await expectRefused(events, 403, 'forbidden', { origin: 'http://referloop.test.evil.example' });
      await expectRefused('referloop_events=not.a.token', 401, 'unauthenticated');
      await expectRefused(`referloop_events=${accessToken}`, 401, 'unauthenticated');
      const asBearer = await t.http.get('/api/v1/me').set('Authorization', `Bearer ${events.split('=')[1]}`);
      expectProblem(asBearer, 401, 'unauthenticated');
      // The cookie opens the stream only: no other route reads it.
      const me = await t.http.get('/api/v1/me').set('Cookie', events);
      expectProblem(me, 401, 'unauthenticated');
    });

    it('is rotated with the refresh cookie and cleared at logout, when the stream closes at the next heartbeat', async () => {
      const { refresh } = await webLogin();
      const refreshed = await t.http
        .post('/api/v1/auth/refresh')
        .set(WEB)
        .set('Origin', APP_ORIGIN)
        .set('Cookie', refresh)
        .send({})
        .expect(200);
      const events = pair(findCookie(refreshed, 'referloop_events'));
      const stream = await openWithCookie(events);
      expect(stream.status).toBe(200);
      const logout = await t.http
        .post('/api/v1/auth/logout')
        .set(WEB)
        .set('Origin', APP_ORIGIN)
        .set('Cookie', pair(findCookie(refreshed, 'referloop_refresh')))
        .set('Authorization', `Bearer ${refreshed.body.accessToken as string}`)
        .expect(204);
      expect(findCookie(logout, 'referloop_events')).toMatch(/^referloop_events=;.*Path=\/api\/v1\/events.*Max-Age=0/);
      await b.get(LiveHub).heartbeat();
      await stream.ended;
      await expectRefused(events, 401, 'unauthenticated');
    });

    it('dies with its session: revoked, logout-all, password change, expiry, deactivation', async () => {
      // Ended from the sessions list.
      const ended = await webLogin();
      const endedStream = await openWithCookie(ended.events);
      const sid = sessionIdOf(ended.accessToken);
      await t.http.delete(`/api/v1/me/sessions/${sid}`).set('Authorization', `Bearer ${ended.accessToken}`).expect(204);
      await b.get(LiveHub).heartbeat();
      await endedStream.ended;
      await expectRefused(ended.events, 401, 'unauthenticated');

      // Logout-all ends another session's cookie too.
      const [one, two] = [await webLogin(), await webLogin()];
      await t.http.post('/api/v1/auth/logout-all').set('Authorization', `Bearer ${one.accessToken}`).expect(204);
      await expectRefused(two.events, 401, 'unauthenticated');

      // A password change ends the other sessions; the current one keeps its stream.
      const [current, other] = [await webLogin(), await webLogin()];
      const newPassword = `${PASSWORD} again`;
      await t.http
        .post('/api/v1/me/password')
        .set('Authorization', `Bearer ${current.accessToken}`)
        .send({ currentPassword: password, newPassword })
        .expect(204);
      password = newPassword;
      await expectRefused(other.events, 401, 'unauthenticated');
      expect((await openWithCookie(current.events)).status).toBe(200);

      // A session past its maximum age.
      const old = await webLogin();
      const sql = new Client({ connectionString: t.database.url });
      await sql.connect();
      try {
        await sql.query(`UPDATE auth_sessions SET created_at = created_at - interval '400 days' WHERE id = $1`, [
          sessionIdOf(old.accessToken),
        ]);
      } finally {
        await sql.end();
      }
      await expectRefused(old.events, 401, 'unauthenticated');

      // Deactivation ends every stream of the user.
      const last = await webLogin();
      const lastStream = await openWithCookie(last.events);
      await t.http.post(`/api/v1/practitioners/${user.id}/deactivate`).set(ptClinic.admin.auth).expect(200);
      await b.get(LiveHub).heartbeat();
      await lastStream.ended;
      await expectRefused(last.events, 401, 'unauthenticated');
    });
  });
});
