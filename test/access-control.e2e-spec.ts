import { randomBytes, randomUUID } from 'node:crypto';
import { isoDateFrom, lapsedLicenceDate, practitionerPayload } from '@referloop/testing';
import { decode, sign, type SignOptions } from 'jsonwebtoken';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';
import { createPatient } from './support/referral-helpers';

// The access matrix: every authenticated route against every way of not being signed in (401),
// the wrong role in the right clinic (403), and another clinic's rows (404, never revealed).

const ISSUER = 'referloop';
const AUDIENCE = 'referloop-api';
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

interface Claims {
  sub: string;
  cid: string;
  role: string;
  sid: string;
}

type Method = 'get' | 'post' | 'patch' | 'delete';
interface Route {
  name: string;
  method: Method;
  path: () => string;
  body?: () => object;
}

describe('access control', () => {
  let t: TestApp;
  let clinicA: TestClinic;
  let clinicB: TestClinic;
  let lmtA: SignedInUser;
  let ptA: SignedInUser;
  let ptB: SignedInUser;
  /** Deactivated by clinic A's admin after signing in: their tokens must open nothing. */
  let deactivated: SignedInUser;
  let claims: Claims;

  const call = (route: Route, headers: Record<string, string>) => {
    const req = t.http[route.method](route.path()).set(headers);
    return route.body ? req.send(route.body()) : req;
  };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  /** A token exactly as the API signs them, with the app's own secret. */
  const signValid = (extra: object = {}, options: SignOptions = {}) =>
    sign({ ...claims, exp: nowSeconds() + 300, ...extra }, t.config.jwt.secret, {
      algorithm: 'HS256',
      issuer: ISSUER,
      audience: AUDIENCE,
      ...options,
    });

  beforeAll(async () => {
    t = await startTestApp();
    clinicA = await registerClinic(t.http, { name: 'Clinic Alpha' });
    clinicB = await registerClinic(t.http, { name: 'Clinic Beta' });
    lmtA = await addPractitioner(t.http, clinicA, 'massage_therapist', { bio: 'original A lmt' });
    ptA = await addPractitioner(t.http, clinicA, 'physical_therapist', { bio: 'original A pt' });
    ptB = await addPractitioner(t.http, clinicB, 'physical_therapist', {
      fullName: `Beta Physio ${randomBytes(3).toString('hex')}`,
      bio: 'original B pt',
    });
    deactivated = await addPractitioner(t.http, clinicA, 'massage_therapist');
    await t.http.post(`/api/v1/practitioners/${deactivated.id}/deactivate`).set(clinicA.admin.auth).expect(200);
    const { sub, cid, role, sid } = decode(clinicA.admin.accessToken) as Claims;
    claims = { sub, cid, role, sid };
  });
  afterAll(() => t.close());

  const routes: Route[] = [
    { name: 'GET /me', method: 'get', path: () => '/api/v1/me' },
    { name: 'GET /clinics/me', method: 'get', path: () => '/api/v1/clinics/me' },
    { name: 'PATCH /clinics/me', method: 'patch', path: () => '/api/v1/clinics/me', body: () => ({ name: 'Hijacked' }) },
    {
      name: 'POST /practitioners',
      method: 'post',
      path: () => '/api/v1/practitioners',
      body: () => practitionerPayload('massage_therapist', new Date(), { fullName: 'Intruder' }),
    },
    { name: 'GET /practitioners', method: 'get', path: () => '/api/v1/practitioners' },
    { name: 'GET /practitioners/:id', method: 'get', path: () => `/api/v1/practitioners/${lmtA.id}` },
    {
      name: 'PATCH /practitioners/:id',
      method: 'patch',
      path: () => `/api/v1/practitioners/${lmtA.id}`,
      body: () => ({ bio: 'hijacked' }),
    },
    { name: 'POST /auth/logout', method: 'post', path: () => '/api/v1/auth/logout' },
    { name: 'POST /auth/logout-all', method: 'post', path: () => '/api/v1/auth/logout-all' },
    { name: 'GET /me/sessions', method: 'get', path: () => '/api/v1/me/sessions' },
    { name: 'DELETE /me/sessions/:id', method: 'delete', path: () => `/api/v1/me/sessions/${claims.sid}` },
    {
      name: 'POST /me/password',
      method: 'post',
      path: () => '/api/v1/me/password',
      body: () => ({ currentPassword: 'correct horse battery', newPassword: 'hijacked-password' }),
    },
    { name: 'GET /clinics/me/members', method: 'get', path: () => '/api/v1/clinics/me/members' },
    { name: 'POST /practitioners/:id/deactivate', method: 'post', path: () => `/api/v1/practitioners/${lmtA.id}/deactivate` },
    { name: 'POST /practitioners/:id/reactivate', method: 'post', path: () => `/api/v1/practitioners/${lmtA.id}/reactivate` },
    { name: 'GET /admin/referrals/unowned', method: 'get', path: () => '/api/v1/admin/referrals/unowned' },
  ];

  it('accepts a token signed the way the tests sign them (so the 401s below are about the token, not the helper)', async () => {
    const res = await t.http.get('/api/v1/me').set(bearer(signValid())).expect(200);
    expect(res.body.id).toBe(clinicA.admin.id);
  });

  describe('401 unauthenticated', () => {
    const badCredentials: { name: string; headers: () => Record<string, string> }[] = [
      { name: 'no token', headers: () => ({}) },
      { name: 'an empty bearer', headers: () => ({ Authorization: 'Bearer ' }) },
      { name: 'another scheme', headers: () => ({ Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }) },
      { name: 'garbage', headers: () => bearer('not-a-jwt') },
      {
        name: 'an expired token',
        headers: () => bearer(signValid({ iat: nowSeconds() - 3600, exp: nowSeconds() - 60 })),
      },
      {
        name: 'a forged signature',
        headers: () =>
          bearer(
            sign({ ...claims }, `forged-${randomBytes(24).toString('hex')}`, {
              algorithm: 'HS256',
              issuer: ISSUER,
              audience: AUDIENCE,
              expiresIn: 300,
            }),
          ),
      },
      {
        name: 'alg: none',
        headers: () =>
          bearer(
            `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: ISSUER, aud: AUDIENCE, iat: nowSeconds(), exp: nowSeconds() + 300 })}.`,
          ),
      },
      {
        name: 'a tampered payload under a genuine signature',
        headers: () => {
          const [header, , signature] = clinicA.admin.accessToken.split('.');
          return bearer(
            `${header}.${b64({ ...claims, cid: clinicB.clinicId, iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 300 })}.${signature}`,
          );
        },
      },
      { name: 'the wrong audience', headers: () => bearer(signValid({}, { audience: 'someone-else' })) },
      { name: 'the wrong issuer', headers: () => bearer(signValid({}, { issuer: 'evil' })) },
      { name: 'another HMAC algorithm (HS512)', headers: () => bearer(signValid({}, { algorithm: 'HS512' })) },
      { name: 'a session that does not exist', headers: () => bearer(signValid({ sid: randomUUID() })) },
      { name: "a deactivated user's token", headers: () => deactivated.auth },
    ];

    describe.each(badCredentials)('with $name', ({ headers }) => {
      it.each(routes)('$name answers 401 problem+json', async (route) => {
        const res = await call(route, headers());
        expectProblem(res, 401, 'unauthenticated');
      });
    });

    it('wrote nothing and ended no session while refusing those requests', async () => {
      const me = await t.http.get('/api/v1/me').set(clinicA.admin.auth).expect(200);
      expect(me.body.id).toBe(clinicA.admin.id);
      const clinic = await t.http.get('/api/v1/clinics/me').set(clinicA.admin.auth).expect(200);
      expect(clinic.body.name).toBe('Clinic Alpha');
      const lmt = await t.http.get(`/api/v1/practitioners/${lmtA.id}`).set(clinicA.admin.auth).expect(200);
      expect(lmt.body.bio).toBe('original A lmt');
      const intruders = await t.http.get('/api/v1/practitioners').query({ q: 'Intruder' }).set(clinicA.admin.auth).expect(200);
      expect(intruders.body.items).toEqual([]);
      expect(lmt.body.active).toBe(true);
      const sessions = await t.http.get('/api/v1/me/sessions').set(clinicA.admin.auth).expect(200);
      expect(sessions.body.items.map((s: { id: string }) => s.id)).toContain(claims.sid);
    });
  });

  describe('403 forbidden: the right clinic, the wrong role', () => {
    it('a practitioner may not change the clinic', async () => {
      const res = await t.http.patch('/api/v1/clinics/me').set(lmtA.auth).send({ name: 'Renamed by LMT' });
      expectProblem(res, 403, 'forbidden');
      const clinic = await t.http.get('/api/v1/clinics/me').set(clinicA.admin.auth).expect(200);
      expect(clinic.body.name).toBe('Clinic Alpha');
    });

    it('a practitioner may read the clinic', async () => {
      const res = await t.http.get('/api/v1/clinics/me').set(lmtA.auth).expect(200);
      expect(res.body.id).toBe(clinicA.clinicId);
    });

    it('a practitioner may not invite', async () => {
      const res = await t.http
        .post('/api/v1/practitioners')
        .set(ptA.auth)
        .send(practitionerPayload('physical_therapist', new Date(), { fullName: 'Invited By PT' }));
      expectProblem(res, 403, 'forbidden');
      const found = await t.http.get('/api/v1/practitioners').query({ q: 'Invited By PT' }).set(clinicA.admin.auth).expect(200);
      expect(found.body.items).toEqual([]);
    });

    it("a practitioner may not edit a colleague's profile", async () => {
      const res = await t.http.patch(`/api/v1/practitioners/${ptA.id}`).set(lmtA.auth).send({ bio: 'edited by a colleague' });
      expectProblem(res, 403, 'forbidden');
      const pt = await t.http.get(`/api/v1/practitioners/${ptA.id}`).set(ptA.auth).expect(200);
      expect(pt.body.bio).toBe('original A pt');
    });

    it("a practitioner may not edit the clinic admin's profile", async () => {
      const res = await t.http.patch(`/api/v1/practitioners/${clinicA.admin.id}`).set(ptA.auth).send({ fullName: 'Demoted' });
      expectProblem(res, 403, 'forbidden');
      const me = await t.http.get('/api/v1/me').set(clinicA.admin.auth).expect(200);
      expect(me.body.fullName).toBe('Avery Admin');
    });

    it('a practitioner may edit their own profile and an admin any profile of the clinic', async () => {
      await t.http
        .patch(`/api/v1/practitioners/${lmtA.id}`)
        .set(lmtA.auth)
        .send({ languages: ['en', 'es'] })
        .expect(200);
      const byAdmin = await t.http
        .patch(`/api/v1/practitioners/${ptA.id}`)
        .set(clinicA.admin.auth)
        .send({ languages: ['fr'] })
        .expect(200);
      expect(byAdmin.body.languages).toEqual(['fr']);
    });
  });

  describe("404 not_found: another clinic's rows", () => {
    it("an admin may not edit another clinic's practitioner, and learns nothing about it", async () => {
      const res = await t.http
        .patch(`/api/v1/practitioners/${ptB.id}`)
        .set(clinicA.admin.auth)
        .send({ bio: 'cross-clinic write' });
      expectProblem(res, 404, 'not_found');
      const unknown = await t.http.patch(`/api/v1/practitioners/${randomUUID()}`).set(clinicA.admin.auth).send({ bio: 'x' });
      expectProblem(unknown, 404, 'not_found');
      // Same answer for "exists elsewhere" and "does not exist".
      expect(res.body.detail).toBe(unknown.body.detail);
      const pt = await t.http.get(`/api/v1/practitioners/${ptB.id}`).set(clinicB.admin.auth).expect(200);
      expect(pt.body.bio).toBe('original B pt');
    });

    it("a practitioner editing another clinic's practitioner gets 404, not 403", async () => {
      const res = await t.http.patch(`/api/v1/practitioners/${ptB.id}`).set(lmtA.auth).send({ bio: 'cross-clinic write' });
      expectProblem(res, 404, 'not_found');
    });

    it("another clinic's admin is not in the directory (404), while their own clinic sees them", async () => {
      const res = await t.http.get(`/api/v1/practitioners/${clinicB.admin.id}`).set(clinicA.admin.auth);
      expectProblem(res, 404, 'not_found');
      const own = await t.http.get(`/api/v1/practitioners/${clinicB.admin.id}`).set(ptB.auth).expect(200);
      expect(own.body).toMatchObject({ id: clinicB.admin.id, role: 'clinic_admin', email: clinicB.admin.email });
    });

    it('an unknown id is 404', async () => {
      expectProblem(await t.http.get(`/api/v1/practitioners/${randomUUID()}`).set(lmtA.auth), 404, 'not_found');
    });

    it("answers another clinic's patient, consent, user, invitation and session ids with 404 and changes none of them", async () => {
      const created = await createPatient(t.http, ptB);
      const patient = (await t.http.get(`/api/v1/patients/${created.id}`).set(ptB.auth).expect(200)).body as {
        firstName: string;
        consents: { id: string; active: boolean }[];
      };
      const consentId = patient.consents[0].id;
      await t.http
        .post('/api/v1/practitioners')
        .set(clinicB.admin.auth)
        .send(practitionerPayload('massage_therapist', new Date(), { fullName: 'Invited to Beta' }))
        .expect(201);
      const invitations = await t.http.get('/api/v1/invitations').set(clinicB.admin.auth).expect(200);
      const invitationId = (invitations.body.items as { id: string; status: string }[]).find((i) => i.status === 'pending')!.id;
      const { sid: sessionB } = decode(ptB.accessToken) as Claims;

      const foreign: [Method, string, object?][] = [
        ['get', `/api/v1/patients/${created.id}`],
        ['patch', `/api/v1/patients/${created.id}`, { firstName: 'Hijacked' }],
        ['post', `/api/v1/patients/${created.id}/consents`, { scope: 'patient_notifications' }],
        ['post', `/api/v1/patients/${created.id}/consents/${consentId}/revoke`],
        ['post', `/api/v1/practitioners/${ptB.id}/deactivate`],
        ['post', `/api/v1/practitioners/${ptB.id}/reactivate`],
        ['post', `/api/v1/invitations/${invitationId}/resend`],
        ['delete', `/api/v1/invitations/${invitationId}`],
        ['delete', `/api/v1/me/sessions/${sessionB}`],
      ];
      for (const [method, path, body] of foreign) {
        const req = t.http[method](path).set(clinicA.admin.auth);
        expectProblem(await (body ? req.send(body) : req), 404, 'not_found');
      }

      // Nothing of clinic B changed, and its rows are in none of clinic A's lists.
      const after = await t.http.get(`/api/v1/patients/${created.id}`).set(ptB.auth).expect(200);
      expect(after.body.firstName).toBe(patient.firstName);
      expect(after.body.consents).toEqual(patient.consents);
      expect((await t.http.get('/api/v1/me').set(ptB.auth).expect(200)).body.active).toBe(true);
      const stillPending = await t.http.get('/api/v1/invitations').set(clinicB.admin.auth).expect(200);
      expect(stillPending.body.items).toEqual(invitations.body.items);
      const ids = async (path: string, query: Record<string, string> = {}) =>
        ((await t.http.get(path).query(query).set(clinicA.admin.auth).expect(200)).body.items as { id: string }[]).map(
          (item) => item.id,
        );
      expect(await ids('/api/v1/patients', { q: created.lastName })).not.toContain(created.id);
      expect(await ids('/api/v1/clinics/me/members')).not.toContain(ptB.id);
      expect(await ids('/api/v1/invitations')).not.toContain(invitationId);
      expect(await ids('/api/v1/admin/audit-events', { actorId: ptB.id })).toEqual([]);
      expect(await ids('/api/v1/admin/audit-events', { actorId: clinicB.admin.id })).toEqual([]);
    });
  });

  describe('the patient search', () => {
    it("finds the clinic's patients accents aside, and never another clinic's", async () => {
      const tag = `z${randomBytes(3).toString('hex')}`;
      const mine = await createPatient(t.http, lmtA, { firstName: 'José', lastName: `Núñez${tag}` });
      const theirs = await createPatient(t.http, ptB, { firstName: 'José', lastName: `Núñez${tag}` });
      for (const q of [`jose nunez${tag}`, `JOSÉ NÚÑEZ${tag}`, `nunez${tag}`]) {
        const found = await t.http.get('/api/v1/patients').query({ q }).set(lmtA.auth).expect(200);
        expect((found.body.items as { id: string }[]).map((p) => p.id)).toEqual([mine.id]);
      }
      expect(mine.id).not.toBe(theirs.id);
    });

    it('asked in the body (POST /patients/search, which keeps names out of addresses), answers as the query string does', async () => {
      const tag = `z${randomBytes(3).toString('hex')}`;
      const mine = [
        await createPatient(t.http, lmtA, { firstName: 'Ana', lastName: `Peña${tag}` }),
        await createPatient(t.http, lmtA, { firstName: 'Ana', lastName: `Pena${tag}b` }),
      ];
      await createPatient(t.http, ptB, { firstName: 'Ana', lastName: `Peña${tag}` });
      const byQuery = await t.http
        .get('/api/v1/patients')
        .query({ q: `pena${tag}` })
        .set(lmtA.auth)
        .expect(200);
      const byBody = await t.http
        .post('/api/v1/patients/search')
        .send({ q: `pena${tag}` })
        .set(lmtA.auth)
        .expect(200);
      expect(byBody.body).toEqual(byQuery.body);
      expect(new Set(byBody.body.items.map((p: { id: string }) => p.id))).toEqual(new Set(mine.map((p) => p.id)));
      const first = await t.http
        .post('/api/v1/patients/search')
        .send({ q: `pena${tag}`, limit: 1 })
        .set(lmtA.auth)
        .expect(200);
      const second = await t.http
        .post('/api/v1/patients/search')
        .send({ q: `pena${tag}`, limit: 1, cursor: first.body.nextCursor })
        .set(lmtA.auth)
        .expect(200);
      expect([...first.body.items, ...second.body.items]).toEqual(byQuery.body.items);
      const refused = await t.http
        .post('/api/v1/patients/search')
        .send({ q: 'x', limit: 0, name: 'x' })
        .set(lmtA.auth)
        .expect(400);
      expect(refused.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'name']);
      // In a body, numbers are numbers (a query string's text is read as one); a blank search is no search.
      for (const limit of ['2', true, false]) {
        const wrong = await t.http.post('/api/v1/patients/search').send({ limit }).set(lmtA.auth).expect(400);
        expect(wrong.body.errors).toEqual([{ field: 'limit', message: 'must be an integer number' }]);
      }
      for (const q of ['   ', '\t', '\u200b']) {
        const blank = await t.http.post('/api/v1/patients/search').send({ q }).set(lmtA.auth).expect(400);
        expect(blank.body.errors).toEqual([expect.objectContaining({ field: 'q' })]);
        const query = await t.http.get('/api/v1/patients').query({ q }).set(lmtA.auth).expect(400);
        expect(query.body.errors).toEqual([expect.objectContaining({ field: 'q' })]);
      }
      await t.http.get('/api/v1/patients').query({ limit: '2' }).set(lmtA.auth).expect(200);
      await t.http.post('/api/v1/patients/search').send({ q: 'x' }).expect(401);
    });

    it('stores names without surrounding spaces and lists them as people read them, page after page', async () => {
      const tag = `z${randomBytes(3).toString('hex')}`;
      for (const lastName of ['Zimmerman', ' de la Cruz', 'Ébert ', 'Dalton', 'eckert']) {
        await createPatient(t.http, lmtA, { firstName: `  Kim${tag}`, lastName });
      }
      const expected = ['Dalton', 'de la Cruz', 'Ébert', 'eckert', 'Zimmerman'];
      const whole = await t.http.get('/api/v1/patients').query({ q: tag }).set(lmtA.auth).expect(200);
      const names = (items: { firstName: string; lastName: string }[]) => items.map((p) => p.lastName);
      expect(names(whole.body.items)).toEqual(expected);
      expect(new Set(whole.body.items.map((p: { firstName: string }) => p.firstName))).toEqual(new Set([`Kim${tag}`]));
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await t.http
          .get('/api/v1/patients')
          .query({ q: tag, limit: 2, ...(cursor ? { cursor } : {}) })
          .set(lmtA.auth)
          .expect(200);
        paged.push(...names(page.body.items));
        cursor = page.body.nextCursor as string | null;
      } while (cursor);
      expect(paged).toEqual(expected);
    });
  });

  describe('the cross-clinic directory', () => {
    it("shows another clinic's practitioner without their email", async () => {
      const res = await t.http.get(`/api/v1/practitioners/${ptB.id}`).set(lmtA.auth).expect(200);
      expect(res.body).toMatchObject({
        id: ptB.id,
        clinicId: clinicB.clinicId,
        role: 'physical_therapist',
        clinic: { id: clinicB.clinicId, name: 'Clinic Beta' },
      });
      expect(res.body).not.toHaveProperty('email');
    });

    it('hides a practitioner whose licence has expired (404 and not listed) until it is renewed', async () => {
      const now = new Date();
      const licence = { number: 'PT-EXP-1', region: 'TX' };
      const expired = await t.http
        .patch(`/api/v1/practitioners/${ptB.id}`)
        .set(clinicB.admin.auth)
        .send({ licence: { ...licence, expiresOn: lapsedLicenceDate(now) } })
        .expect(200);
      expect(expired.body.licenceExpired).toBe(true);

      expectProblem(await t.http.get(`/api/v1/practitioners/${ptB.id}`).set(clinicA.admin.auth), 404, 'not_found');
      expectProblem(await t.http.get(`/api/v1/practitioners/${ptB.id}`).set(lmtA.auth), 404, 'not_found');
      const listedForA = await t.http.get('/api/v1/practitioners').query({ q: 'Beta Physio' }).set(lmtA.auth).expect(200);
      expect(listedForA.body.items.map((p: { id: string }) => p.id)).not.toContain(ptB.id);
      const listedForB = await t.http
        .get('/api/v1/practitioners')
        .query({ q: 'Beta Physio' })
        .set(clinicB.admin.auth)
        .expect(200);
      expect(listedForB.body.items.map((p: { id: string }) => p.id)).not.toContain(ptB.id);
      // Their own clinic still reaches the profile, to fix it.
      const own = await t.http.get(`/api/v1/practitioners/${ptB.id}`).set(clinicB.admin.auth).expect(200);
      expect(own.body.licenceExpired).toBe(true);

      await t.http
        .patch(`/api/v1/practitioners/${ptB.id}`)
        .set(clinicB.admin.auth)
        .send({ licence: { ...licence, expiresOn: isoDateFrom(now, 365) } })
        .expect(200);
      await t.http.get(`/api/v1/practitioners/${ptB.id}`).set(lmtA.auth).expect(200);
      const relisted = await t.http.get('/api/v1/practitioners').query({ q: 'Beta Physio' }).set(lmtA.auth).expect(200);
      expect(relisted.body.items.map((p: { id: string }) => p.id)).toContain(ptB.id);
    });
  });
});
