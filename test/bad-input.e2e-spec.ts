import { clinicPayload, isoDateFrom, PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import { createPatient, createReferral, invitedReferralBody } from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  tableHashes,
  type TestApp,
  type TestClinic,
} from './support/test-app';

// Bad bodies, query strings and path ids, endpoint by endpoint: each is a 4xx problem+json naming
// what is wrong, never a 500, and nothing is written to the database.

interface BadCase {
  name: string;
  /** A JSON body (serialised by supertest). */
  body?: unknown;
  /** Raw bytes sent as they are, with `contentType` (default application/json). */
  raw?: string | Buffer;
  contentType?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** Fields the problem's `errors[]` must name. */
  fields?: string[];
}

interface Endpoint {
  name: string;
  method: 'post' | 'patch';
  path: () => string;
  headers?: () => Record<string, string>;
  /** A body the endpoint accepts; each case breaks one thing in it. */
  valid: () => Record<string, unknown>;
  /** A string field where the 10 MB value goes. */
  bigField: string;
  /** Built inside the test: `valid()` reads fixtures made in beforeAll. */
  cases: (valid: Record<string, unknown>) => BadCase[];
  successStatus: number;
}

const TEN_MB = 'x'.repeat(10 * 1024 * 1024);
const jsonWithout = (body: Record<string, unknown>) => JSON.stringify(body).slice(1); // drop the leading "{"

/** Breaks the body in ways every JSON endpoint must refuse the same way. */
function commonCases(endpoint: Endpoint, valid: Record<string, unknown>): BadCase[] {
  return [
    {
      name: 'an unknown top-level field',
      body: { ...valid, isSuperuser: true },
      status: 400,
      code: 'validation_failed',
      fields: ['isSuperuser'],
    },
    {
      // class-validator's allow-list finds these names on every object: they got through as known fields.
      name: 'unknown fields named like members of every object',
      body: { ...valid, toString: 1, valueOf: 2, constructor: { x: 1 } },
      status: 400,
      code: 'validation_failed',
      fields: ['toString'],
    },
    {
      name: 'a __proto__ key',
      raw: `{"__proto__":{"isSuperuser":true},${jsonWithout(valid)}`,
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'a constructor.prototype key',
      raw: `{"constructor":{"prototype":{"isSuperuser":true}},${jsonWithout(valid)}`,
      status: 400,
      code: 'validation_failed',
    },
    {
      // JSON.parse keeps the last: one of the two values was stored, the other silently dropped.
      name: 'a field given twice',
      raw: JSON.stringify(setPath(valid, endpoint.bigField, 'DUPLICATE-MARK')).replace(
        '"DUPLICATE-MARK"',
        `"first","${endpoint.bigField.split('.').pop()}":"second"`,
      ),
      status: 400,
      code: 'validation_failed',
      fields: [endpoint.bigField],
    },
    { name: 'malformed JSON', raw: JSON.stringify(valid).slice(0, -3), status: 400, code: 'validation_failed' },
    { name: 'JSON null', raw: 'null', status: 400, code: 'validation_failed' },
    { name: 'a JSON array', raw: `[${JSON.stringify(valid)}]`, status: 400, code: 'validation_failed' },
    { name: 'a JSON string', raw: '"hello"', status: 400, code: 'validation_failed' },
    { name: 'a JSON number', raw: '42', status: 400, code: 'validation_failed' },
    {
      // Validation and request hashing walk a body recursively: this once overflowed their stack (500).
      name: 'JSON nested 3,000 levels deep',
      raw: `{"deep":${'['.repeat(3000)}${']'.repeat(3000)},${jsonWithout(valid)}`,
      status: 400,
      code: 'validation_failed',
      fields: ['body'],
    },
    {
      name: 'text/plain',
      raw: JSON.stringify(valid),
      contentType: 'text/plain',
      status: 415,
      code: 'unsupported_media_type',
      fields: ['Content-Type'],
    },
    {
      // Decoded with U+FFFD in place of each bad byte, it was stored as something never sent.
      name: 'bytes that are not UTF-8',
      raw: Buffer.concat([
        Buffer.from(`{"${endpoint.bigField.split('.')[0]}":"`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('",'),
        Buffer.from(jsonWithout(valid)),
      ]),
      status: 400,
      code: 'validation_failed',
      fields: ['body'],
    },
    {
      // Nothing is decompressed: the plain body was taken as if the header were not there.
      name: 'a body declared gzip-encoded',
      raw: JSON.stringify(valid),
      headers: { 'Content-Encoding': 'gzip' },
      status: 415,
      code: 'unsupported_media_type',
      fields: ['Content-Encoding'],
    },
    {
      // It was read as UTF-8 regardless, and stored.
      name: 'JSON declared in latin1',
      raw: JSON.stringify(valid),
      contentType: 'application/json; charset=latin1',
      status: 415,
      code: 'unsupported_media_type',
      fields: ['Content-Type'],
    },
    {
      name: 'a form-encoded body',
      raw: new URLSearchParams(Object.entries(valid).map(([k, v]): [string, string] => [k, String(v)])).toString(),
      contentType: 'application/x-www-form-urlencoded',
      status: 415,
      code: 'unsupported_media_type',
      fields: ['Content-Type'],
    },
    {
      // Parsed for the upload route only: elsewhere it left the body empty, and a PATCH answered 200.
      name: 'a multipart body',
      raw: '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nRenamed\r\n--x--\r\n',
      contentType: 'multipart/form-data; boundary=x',
      status: 415,
      code: 'unsupported_media_type',
      fields: ['Content-Type'],
    },
    { name: 'a 10 MB string', body: setPath(valid, endpoint.bigField, TEN_MB), status: 413, code: 'payload_too_large' },
  ];
}

/** A deep copy of `body` with `path` (dot separated) set to `value`, or removed when `value` is `REMOVE`. */
const REMOVE = Symbol('remove');
function setPath(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = path.split('.');
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === REMOVE) delete node[last];
  else node[last] = value;
  return copy;
}

const bad = (valid: Record<string, unknown>, path: string, value: unknown, fields = [path]): Omit<BadCase, 'name'> => ({
  body: setPath(valid, path, value),
  status: 400,
  code: 'validation_failed',
  fields,
});

describe('bad input', () => {
  let t: TestApp;
  let db: Client;
  let clinic: TestClinic;
  let lmt: SignedInUser;
  let invitationToken: string;
  /** A session of its own for the refresh cases: a reused refresh token would end the admin's. */
  let refreshToken: string;

  /** Every row of every table, hashed: equal before and after means nothing was written. */
  const snapshot = () => tableHashes(db);

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.database.url });
    await db.connect();
    clinic = await registerClinic(t.http, { name: 'Bad Input Clinic' });
    lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .send(practitionerPayload('physical_therapist', new Date()))
      .expect(201);
    invitationToken = invited.body.invitation.token;
    const login = await t.http.post('/api/v1/auth/login').send({ email: clinic.admin.email, password: PASSWORD }).expect(200);
    refreshToken = login.body.refreshToken;
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const endpoints: Endpoint[] = [
    {
      name: 'POST /auth/register-clinic',
      method: 'post',
      path: () => '/api/v1/auth/register-clinic',
      valid: () => ({
        clinic: clinicPayload({ name: 'Never Stored' }),
        admin: { email: uniqueEmail('reg'), password: PASSWORD, fullName: 'Reg Admin' },
      }),
      bigField: 'clinic.name',
      successStatus: 201,
      cases: (v) => [
        { name: 'no clinic', ...bad(v, 'clinic', REMOVE) },
        { name: 'clinic as a string', ...bad(v, 'clinic', 'Acme Massage') },
        { name: 'no admin email', ...bad(v, 'admin.email', REMOVE) },
        { name: 'an email without @', ...bad(v, 'admin.email', 'not-an-email') },
        { name: 'an email without a domain', ...bad(v, 'admin.email', 'someone@') },
        { name: 'an email with spaces', ...bad(v, 'admin.email', 'some one@example.test') },
        { name: 'an email as a number', ...bad(v, 'admin.email', 12345) },
        { name: 'a short password', ...bad(v, 'admin.password', 'short') },
        { name: 'a password of ten spaces', ...bad(v, 'admin.password', ' '.repeat(10)) },
        { name: 'a password of ideographic spaces', ...bad(v, 'admin.password', '\u3000'.repeat(10)) },
        { name: 'a password as a number', ...bad(v, 'admin.password', 12345678901234) },
        { name: 'a clinic name as a number', ...bad(v, 'clinic.name', 42) },
        { name: 'an empty clinic name', ...bad(v, 'clinic.name', '') },
        { name: 'a clinic name of spaces', ...bad(v, 'clinic.name', '   ') },
        { name: 'an admin name of white space', ...bad(v, 'admin.fullName', ' \t ') },
        { name: 'a clinic name of a zero-width space', ...bad(v, 'clinic.name', '\u200b') },
        { name: 'a city of format characters only', ...bad(v, 'clinic.address.city', '\u200b\ufeff\u200e') },
        { name: 'a clinic name of Hangul fillers', ...bad(v, 'clinic.name', '\u3164\u3164') },
        { name: 'an admin name of combining marks alone', ...bad(v, 'admin.fullName', '\u0301\u034f\ufe0f') },
        { name: 'no address', ...bad(v, 'clinic.address', REMOVE) },
        { name: 'an address as an array', ...bad(v, 'clinic.address', ['100 Congress Ave']) },
        { name: 'a three-letter country', ...bad(v, 'clinic.address.country', 'USA') },
        { name: 'a bad postal code', ...bad(v, 'clinic.address.postalCode', '!!') },
        { name: 'an unknown time zone', ...bad(v, 'clinic.timezone', 'Mars/Olympus_Mons') },
        { name: 'a phone with letters', ...bad(v, 'clinic.phone', 'call me maybe') },
        { name: 'a client-chosen clinic id', ...bad(v, 'clinic.id', '00000000-0000-4000-8000-000000000000') },
        { name: 'a client-chosen admin role', ...bad(v, 'admin.role', 'clinic_admin') },
      ],
    },
    {
      name: 'POST /auth/login',
      method: 'post',
      path: () => '/api/v1/auth/login',
      valid: () => ({ email: clinic.admin.email, password: PASSWORD }),
      bigField: 'password',
      successStatus: 200,
      cases: (v) => [
        { name: 'no password', ...bad(v, 'password', REMOVE) },
        { name: 'no email', ...bad(v, 'email', REMOVE) },
        { name: 'a bad email', ...bad(v, 'email', 'admin') },
        { name: 'an operator object as email', ...bad(v, 'email', { $ne: null }) },
        { name: 'a password as an array', ...bad(v, 'password', [PASSWORD]) },
        { name: 'an empty password', ...bad(v, 'password', '') },
      ],
    },
    {
      name: 'POST /auth/refresh',
      method: 'post',
      path: () => '/api/v1/auth/refresh',
      valid: () => ({ refreshToken }),
      bigField: 'refreshToken',
      successStatus: 200,
      cases: (v) => [
        { name: 'no token', ...bad(v, 'refreshToken', REMOVE) },
        { name: 'a token as a number', ...bad(v, 'refreshToken', 123) },
        { name: 'an empty token', ...bad(v, 'refreshToken', '') },
        { name: 'a 201-character token', ...bad(v, 'refreshToken', 'a'.repeat(201)) },
      ],
    },
    {
      name: 'POST /auth/accept-invitation',
      method: 'post',
      path: () => '/api/v1/auth/accept-invitation',
      valid: () => ({ token: invitationToken, password: PASSWORD }),
      bigField: 'password',
      successStatus: 200,
      cases: (v) => [
        { name: 'no token', ...bad(v, 'token', REMOVE) },
        { name: 'a token as a number', ...bad(v, 'token', 7) },
        { name: 'a short password', ...bad(v, 'password', 'short') },
        { name: 'a password of white space', ...bad(v, 'password', ' \t'.repeat(6)) },
        { name: 'a 129-character password', ...bad(v, 'password', 'p'.repeat(129)) },
      ],
    },
    {
      name: 'POST /practitioners',
      method: 'post',
      path: () => '/api/v1/practitioners',
      headers: () => clinic.admin.auth,
      valid: () => practitionerPayload('massage_therapist', new Date(), { fullName: 'Never Stored', bio: 'short bio' }),
      bigField: 'bio',
      successStatus: 201,
      cases: (v) => [
        { name: 'no role', ...bad(v, 'role', REMOVE) },
        { name: 'the admin role', ...bad(v, 'role', 'clinic_admin') },
        { name: 'a role in capitals', ...bad(v, 'role', 'MASSAGE_THERAPIST') },
        { name: 'a bad email', ...bad(v, 'email', 'lmt@@example.test') },
        { name: 'no licence', ...bad(v, 'licence', REMOVE) },
        { name: 'a licence without a number', ...bad(v, 'licence.number', REMOVE) },
        { name: 'an impossible licence date', ...bad(v, 'licence.expiresOn', '2099-02-30') },
        { name: 'a licence date in another format', ...bad(v, 'licence.expiresOn', '31/12/2099') },
        { name: 'a self-verified licence', ...bad(v, 'licence.verifiedAt', new Date().toISOString()) },
        { name: 'an unknown specialty', ...bad(v, 'specialties', ['bogus']) },
        { name: 'specialties as a string', ...bad(v, 'specialties', 'deep_tissue') },
        { name: 'duplicate specialties', ...bad(v, 'specialties', ['deep_tissue', 'deep_tissue']) },
        { name: 'a language name instead of a tag', ...bad(v, 'languages', ['english']) },
        { name: 'acceptingReferrals as a string', ...bad(v, 'acceptingReferrals', 'yes') },
        { name: 'a 2001-character bio', ...bad(v, 'bio', 'b'.repeat(2001)) },
        { name: 'a client-chosen clinic', ...bad(v, 'clinicId', '00000000-0000-4000-8000-000000000000') },
        { name: 'a client-chosen password hash', ...bad(v, 'passwordHash', 'x') },
      ],
    },
    {
      name: 'PATCH /practitioners/:id',
      method: 'patch',
      path: () => `/api/v1/practitioners/${lmt.id}`,
      headers: () => clinic.admin.auth,
      valid: () => ({ bio: 'updated bio' }),
      bigField: 'bio',
      successStatus: 200,
      cases: (v) => [
        { name: 'an email change', ...bad(v, 'email', uniqueEmail()) },
        { name: 'a role change', ...bad(v, 'role', 'clinic_admin') },
        { name: 'a clinic change', ...bad(v, 'clinicId', clinic.clinicId) },
        { name: 'an empty full name', ...bad(v, 'fullName', '') },
        { name: 'a full name of spaces', ...bad(v, 'fullName', '    ') },
        { name: 'a null full name', ...bad(v, 'fullName', null) },
        { name: 'null specialties', ...bad(v, 'specialties', null) },
        { name: 'null languages', ...bad(v, 'languages', null) },
        { name: 'a null acceptingReferrals', ...bad(v, 'acceptingReferrals', null) },
        { name: 'acceptingReferrals as the string "true"', ...bad(v, 'acceptingReferrals', 'true') },
        { name: 'a null licence', ...bad(v, 'licence', null) },
        {
          name: 'a partial licence',
          ...bad(v, 'licence', { expiresOn: isoDateFrom(new Date(), 365) }, ['licence.number', 'licence.region']),
        },
        { name: 'a language that is a number', ...bad(v, 'languages', ['en', 42]) },
        { name: 'a status change', ...bad(v, 'status', 'active') },
        { name: 'isAdmin as the string "true"', ...bad(v, 'isAdmin', 'true') },
        { name: 'a null isAdmin', ...bad(v, 'isAdmin', null) },
      ],
    },
    {
      name: 'PATCH /clinics/me',
      method: 'patch',
      path: () => '/api/v1/clinics/me',
      headers: () => clinic.admin.auth,
      valid: () => ({ name: 'Renamed Clinic' }),
      bigField: 'name',
      successStatus: 200,
      cases: (v) => [
        { name: 'an id change', ...bad(v, 'id', '00000000-0000-4000-8000-000000000000') },
        { name: 'a createdAt change', ...bad(v, 'createdAt', new Date().toISOString()) },
        { name: 'an empty name', ...bad(v, 'name', '') },
        { name: 'a null name', ...bad(v, 'name', null) },
        { name: 'a null phone', ...bad(v, 'phone', null) },
        { name: 'an unknown time zone', ...bad(v, 'timezone', 'Nowhere/City') },
        { name: 'a bad country', ...bad(v, 'address', { country: 'XX1' }, ['address.country']) },
        { name: 'a city as a number', ...bad(v, 'address', { city: 7 }, ['address.city']) },
        { name: 'a null city', ...bad(v, 'address', { city: null }, ['address.city']) },
        { name: 'an unknown address field', ...bad(v, 'address', { zip: '78701' }, ['address.zip']) },
        { name: 'an address as a string', ...bad(v, 'address', '100 Congress Ave') },
        { name: 'a null address', ...bad(v, 'address', null) },
      ],
    },
  ];

  describe.each(endpoints)('$name', (endpoint) => {
    it('refuses every bad body with a 4xx problem and writes nothing', async () => {
      const valid = endpoint.valid();
      const all = [...endpoint.cases(valid), ...commonCases(endpoint, valid)];
      expect(all.length).toBeGreaterThan(10);
      const before = await snapshot();
      const failures: string[] = [];
      for (const c of all) {
        let req = t.http[endpoint.method](endpoint.path())
          .set(endpoint.headers?.() ?? {})
          .set(c.headers ?? {});
        // Bytes as they are: superagent would serialise a Buffer to JSON for a JSON content type.
        if (c.raw !== undefined)
          req = req
            .set('Content-Type', c.contentType ?? 'application/json')
            .serialize((raw: string | Buffer) => raw as string)
            .send(c.raw);
        else req = req.send(c.body as object);
        const res = await req;
        const got = {
          status: res.status,
          code: res.body?.code,
          problemJson: /^application\/problem\+json/.test(res.headers['content-type'] ?? ''),
          fields: c.fields
            ? c.fields.filter((f) => (res.body?.errors ?? []).some((e: { field: string }) => e.field === f))
            : undefined,
        };
        const want = { status: c.status, code: c.code, problemJson: true, fields: c.fields };
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          failures.push(
            `${c.name}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)} ${JSON.stringify(res.body).slice(0, 200)}`,
          );
        }
      }
      expect(failures).toEqual([]);
      expect(await snapshot()).toEqual(before);
    });

    it('reads an empty body sent as JSON as no body: answered as `{}` is', async () => {
      const send = (body: string) =>
        t.http[endpoint.method](endpoint.path())
          .set(endpoint.headers?.() ?? {})
          .set('Content-Type', 'application/json')
          .send(body);
      const [empty, braces] = [await send(''), await send('{}')];
      expect([empty.status, empty.body.code]).toEqual([braces.status, braces.body.code]);
    });

    it('accepts the valid body the cases start from (so each refusal is about the broken part)', async () => {
      const res = await t.http[endpoint.method](endpoint.path())
        .set(endpoint.headers?.() ?? {})
        .send(endpoint.valid());
      expect(res.status).toBe(endpoint.successStatus);
    });
  });

  describe('GET /practitioners query', () => {
    const badQueries: { name: string; query: string; field: string }[] = [
      { name: 'limit=0', query: 'limit=0', field: 'limit' },
      { name: 'limit=101', query: 'limit=101', field: 'limit' },
      { name: 'limit=abc', query: 'limit=abc', field: 'limit' },
      { name: 'limit=1.5', query: 'limit=1.5', field: 'limit' },
      { name: 'a repeated limit', query: 'limit=1&limit=2', field: 'limit' },
      { name: 'type=bogus', query: 'type=bogus', field: 'type' },
      { name: 'type=clinic_admin', query: 'type=clinic_admin', field: 'type' },
      { name: 'a repeated type', query: 'type=massage_therapist&type=physical_therapist', field: 'type' },
      { name: 'specialty=bogus', query: 'specialty=bogus', field: 'specialty' },
      { name: 'acceptingReferrals=maybe', query: 'acceptingReferrals=maybe', field: 'acceptingReferrals' },
      { name: 'acceptingReferrals=1', query: 'acceptingReferrals=1', field: 'acceptingReferrals' },
      { name: 'an unknown parameter', query: 'sort=email', field: 'sort' },
      { name: 'a repeated q', query: 'q=a&q=b', field: 'q' },
      { name: 'a 101-character q', query: `q=${'q'.repeat(101)}`, field: 'q' },
      { name: 'a parameter named like a member of every object', query: 'constructor=1', field: 'constructor' },
      { name: 'a cursor that is not one', query: 'cursor=not-a-cursor', field: 'cursor' },
      {
        name: 'a cursor of the wrong shape',
        query: `cursor=${Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')}`,
        field: 'cursor',
      },
      { name: 'a postal code over 12 characters', query: `postalCode=${'1'.repeat(13)}`, field: 'postalCode' },
    ];

    it.each(badQueries)('$name → 400 naming the parameter', async ({ name, query, field }) => {
      const res = await t.http.get(`/api/v1/practitioners?${query}`).set(lmt.auth);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      // Said as what it is, not as a type the parameter does not have.
      if (name.startsWith('a repeated')) expect(res.body.errors).toEqual([{ field, message: 'must be sent once' }]);
    });

    it('accepts the good versions of those parameters', async () => {
      const res = await t.http
        .get('/api/v1/practitioners')
        .query({ limit: 100, type: 'massage_therapist', specialty: 'deep_tissue', acceptingReferrals: 'true', q: 'Morgan' })
        .set(lmt.auth)
        .expect(200);
      expect(res.body.items.map((p: { id: string }) => p.id)).toContain(lmt.id);
    });
  });

  describe('forged cursors that decode (each was a database error, a 500)', () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const cursor = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    const yearZero = '0000-01-01T00:00:00.000000Z';
    // Each names its own list, as the list's cursors do: only the values are forged.
    const cases: { name: string; path: string; values: unknown[] }[] = [
      { name: 'a fractional partner rank', path: '/api/v1/practitioners', values: ['practitioners', 1.5, 'x', id] },
      { name: 'a partner rank over 32 bits', path: '/api/v1/practitioners', values: ['practitioners', 3_000_000_000, 'x', id] },
      { name: 'a huge partner rank', path: '/api/v1/practitioners', values: ['practitioners', 1e308, 'x', id] },
      // A rank of no partner kind read past every row: it answered an empty page.
      { name: 'a partner rank of no kind (3)', path: '/api/v1/practitioners', values: ['practitioners', 3, 'x', id] },
      { name: 'a negative partner rank', path: '/api/v1/practitioners', values: ['practitioners', -1, 'x', id] },
      {
        name: 'a partner rank of no kind, nearest first',
        path: '/api/v1/practitioners?near=10001',
        values: ['practitioners:near', 7, 1.5, 'x', id],
      },
      {
        name: 'a fractional priority rank',
        path: '/api/v1/referrals?sort=priority',
        values: ['referrals:priority', '2026-01-01T00:00:00.000000Z', 0.5, '2026-01-01T00:00:00.000000Z', id],
      },
      { name: 'year 0000 on the invitations', path: '/api/v1/invitations', values: ['invitations', yearZero, id] },
      { name: 'year 0000 on my partners', path: '/api/v1/me/partners', values: ['partners:mine', yearZero, id] },
      {
        name: 'year 0000 on the clinic partners',
        path: '/api/v1/clinics/me/partners',
        values: ['partners:clinic', yearZero, id],
      },
      { name: 'year 0000 on the referrals', path: '/api/v1/referrals', values: ['referrals', yearZero, id] },
    ];
    it.each(cases)('$name → 400 naming cursor', async ({ path, values }) => {
      const separator = path.includes('?') ? '&' : '?';
      const res = await t.http.get(`${path}${separator}cursor=${cursor(values)}`).set(clinic.admin.auth);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
    });

    it('a cursor of another list, or of another order of the same list, → 400 naming cursor', async () => {
      // Real cursors: two drafts make two pages of referrals at one a page.
      const patient = await createPatient(t.http, lmt);
      for (const name of ['one', 'two']) {
        await createReferral(t.http, lmt, invitedReferralBody(patient.id, uniqueEmail(`cursor-${name}`)));
      }
      const page = async (path: string) =>
        (await t.http.get(path).query({ limit: 1 }).set(clinic.admin.auth).expect(200)).body.nextCursor as string;
      const fromReferrals = await page('/api/v1/referrals');
      const byPriority = await page('/api/v1/referrals?sort=priority');
      expect(fromReferrals).toEqual(expect.any(String));
      expect(byPriority).toEqual(expect.any(String));
      for (const [path, cursor] of [
        ['/api/v1/notifications', fromReferrals],
        ['/api/v1/invitations', fromReferrals],
        ['/api/v1/clinics/me/members', fromReferrals],
        ['/api/v1/referrals', byPriority],
        ['/api/v1/referrals?sort=priority', fromReferrals],
      ]) {
        const separator = path.includes('?') ? '&' : '?';
        const res = await t.http.get(`${path}${separator}cursor=${cursor}`).set(clinic.admin.auth);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([{ field: 'cursor', message: expect.stringContaining('another list') }]);
      }
      await t.http.get(`/api/v1/referrals?cursor=${fromReferrals}`).set(clinic.admin.auth).expect(200);
    });

    it('a date-time in year 0000 is a 400 naming the parameter, not a database error', async () => {
      const res = await t.http.get('/api/v1/referrals?updatedSince=0000-01-01T00:00:00Z').set(lmt.auth);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['updatedSince']);
    });
  });

  describe('path ids', () => {
    it.each(['not-a-uuid', '123', `${'0'.repeat(8)}-0000-0000-0000-00000000000g`, "1' OR '1'='1"])(
      'GET /practitioners/%s → 400',
      async (id) => {
        const res = await t.http.get(`/api/v1/practitioners/${encodeURIComponent(id)}`).set(lmt.auth);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([{ field: 'id', message: expect.any(String) }]);
      },
    );

    it('PATCH /practitioners/not-a-uuid → 400 and nothing written', async () => {
      const before = await snapshot();
      const res = await t.http.patch('/api/v1/practitioners/not-a-uuid').set(clinic.admin.auth).send({ bio: 'x' });
      expectProblem(res, 400, 'validation_failed');
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('requests that take no body', () => {
    it('refuse a body with fields (400 naming them) and do nothing; an empty body or {} is fine', async () => {
      const colleague = await addPractitioner(t.http, clinic, 'physical_therapist');
      const session = await t.http.post('/api/v1/auth/login').send({ email: colleague.email, password: PASSWORD }).expect(200);
      const auth = { Authorization: `Bearer ${session.body.accessToken}` };
      const before = await snapshot();
      for (const [path, as] of [
        ['/api/v1/auth/logout', auth],
        [`/api/v1/practitioners/${colleague.id}/deactivate`, clinic.admin.auth],
      ] as const) {
        const res = await t.http.post(path).set(as).send({ reason: 'why not', force: true });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['reason', 'force']);
        const array = await t.http.post(path).set(as).send([1]);
        expectProblem(array, 400, 'validation_failed');
      }
      expect(await snapshot()).toEqual(before);
      // Nothing happened: the session still works, the colleague is still active.
      await t.http.get('/api/v1/me').set(auth).expect(200);
      await t.http.post('/api/v1/auth/logout').set(auth).expect(204);
      await t.http.post(`/api/v1/practitioners/${colleague.id}/deactivate`).set(clinic.admin.auth).send({}).expect(200);
    });
  });

  describe('a field of the wrong type', () => {
    it("gets its type's message alone, not the messages of rules for values of the right type", async () => {
      const cases: {
        path: string;
        body: Record<string, unknown>;
        auth?: boolean;
        errors: { field: string; message: string }[];
      }[] = [
        {
          path: '/api/v1/auth/login',
          body: { email: ['a@b.test'], password: PASSWORD },
          errors: [{ field: 'email', message: 'must be a string' }],
        },
        { path: '/api/v1/auth/password-reset', body: { email: 7 }, errors: [{ field: 'email', message: 'must be a string' }] },
        {
          path: '/api/v1/webhooks',
          auth: true,
          body: { url: null, eventTypes: ['*'] },
          errors: [{ field: 'url', message: 'must be a string' }],
        },
        {
          path: '/api/v1/webhooks',
          auth: true,
          body: { url: 123, eventTypes: 'referral.sent' },
          errors: [
            { field: 'url', message: 'must be a string' },
            { field: 'eventTypes', message: 'must be an array' },
          ],
        },
      ];
      for (const c of cases) {
        const call = t.http.post(c.path);
        if (c.auth) void call.set(clinic.admin.auth);
        const res = await call.send(c.body);
        expect({ path: c.path, status: res.status, errors: res.body.errors }).toEqual({
          path: c.path,
          status: 400,
          errors: c.errors,
        });
      }
      const profile = await t.http.patch(`/api/v1/practitioners/${lmt.id}`).set(lmt.auth).send({ specialties: 'sports_injury' });
      expect(profile.body.errors).toEqual([{ field: 'specialties', message: 'must be an array' }]);
    });
  });

  describe('one-line text others read', () => {
    it('refuses control and direction-override characters in names and addresses, naming the field, and stores nothing', async () => {
      const message = 'must be one line of text, without control characters';
      const cases: { method: 'post' | 'patch'; path: string; body: Record<string, unknown>; field: string }[] = [
        { method: 'patch', path: '/api/v1/clinics/me', body: { name: 'Spa\r\nBcc: x@example.test' }, field: 'name' },
        { method: 'patch', path: '/api/v1/clinics/me', body: { address: { city: 'Evil \u202egnp.exe' } }, field: 'address.city' },
        { method: 'patch', path: `/api/v1/practitioners/${lmt.id}`, body: { fullName: 'Alice\u0007' }, field: 'fullName' },
        { method: 'patch', path: `/api/v1/practitioners/${lmt.id}`, body: { fullName: 'Ann\u2028B' }, field: 'fullName' },
        {
          method: 'post',
          path: '/api/v1/patients',
          body: { firstName: 'Ann\nX', lastName: 'Doe', dateOfBirth: '1990-01-01', preferredContact: 'phone' },
          field: 'firstName',
        },
        {
          method: 'post',
          path: '/api/v1/patients',
          body: { firstName: 'Ann', lastName: '\u2067Doe', dateOfBirth: '1990-01-01', preferredContact: 'phone' },
          field: 'lastName',
        },
      ];
      const before = await snapshot();
      for (const c of cases) {
        const res = await t.http[c.method](c.path).set(clinic.admin.auth).send(c.body);
        expect({ path: c.path, status: res.status, errors: res.body.errors }).toEqual({
          path: c.path,
          status: 400,
          errors: [{ field: c.field, message }],
        });
      }
      expect(await snapshot()).toEqual(before);
      // Spaces around a name are not content: trimmed, not refused.
      const named = await t.http
        .patch('/api/v1/clinics/me')
        .set(clinic.admin.auth)
        .send({ name: '  Clinic Trimmed  ' })
        .expect(200);
      expect(named.body.name).toBe('Clinic Trimmed');
    });
  });

  describe('a body or query far wider than any the API takes', () => {
    // class-validator's ArrayUnique and class-transformer's key list take time in the square of the
    // entries: a 1 MB body of 60,000 distinct regions held the API (every clinic's requests) for ~6 s,
    // and 50,000 unknown fields were answered with 50,000 errors (5 MB). Such a part is one error,
    // found before any rule about its entries runs.
    const many = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);

    it('an array of more than 100 elements is one 400 naming it, before the rules about its elements', async () => {
      const before = await snapshot();
      const res = await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .send({
          kind: 'injury_care',
          patientId: '00000000-0000-4000-8000-000000000001',
          recipientId: '00000000-0000-4000-8000-000000000002',
          priority: 'routine',
          reason: 'Shoulder pain',
          bodyRegions: many(50_000),
        });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'bodyRegions', message: 'has more than 100 elements' }]);
      const query = many(101)
        .map(() => 'status=sent')
        .join('&');
      const listed = await t.http.get(`/api/v1/referrals?${query}`).set(lmt.auth);
      expectProblem(listed, 400, 'validation_failed');
      expect(listed.body.errors).toEqual([{ field: 'status', message: 'has more than 100 elements' }]);
      expect(await snapshot()).toEqual(before);
    });

    it('an object of more than 100 fields is one 400 naming it, not one error per unknown field', async () => {
      const before = await snapshot();
      const wide = Object.fromEntries(many(50_000).map((key) => [key, 1]));
      const login = await t.http.post('/api/v1/auth/login').send({ email: 'a@example.test', password: 'x', ...wide });
      expectProblem(login, 400, 'validation_failed');
      expect(login.body.errors).toEqual([{ field: 'body', message: 'has more than 100 fields' }]);
      const nested = await t.http.post('/api/v1/auth/register-clinic').send({
        clinic: { ...clinicPayload(), address: { ...clinicPayload().address, ...wide } },
        admin: { email: uniqueEmail('wide'), password: PASSWORD, fullName: 'Wide Admin' },
      });
      expectProblem(nested, 400, 'validation_failed');
      expect(nested.body.errors).toEqual([{ field: 'clinic.address', message: 'has more than 100 fields' }]);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('a body with a prototype key', () => {
    it('is a 400 naming body and saying why, though it is valid JSON', async () => {
      for (const key of ['__proto__', 'constructor']) {
        const res = await t.http
          .post('/api/v1/auth/login')
          .set('content-type', 'application/json')
          .send(`{"email":"a@example.com","password":"x","${key}":{"prototype":{"admin":true}}}`);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([{ field: 'body', message: expect.stringContaining('__proto__') }]);
      }
    });
  });

  describe('requests that take no query parameters', () => {
    it('refuse unknown ones (400 naming them), as the lists with a query refuse theirs', async () => {
      for (const path of [
        '/api/v1/webhooks?x=1',
        '/api/v1/webhooks?limit=0',
        '/api/v1/me?fields=all',
        '/api/v1/clinics/me?x=1&y=2',
      ]) {
        const res = await t.http.get(path).set(clinic.admin.auth);
        expectProblem(res, 400, 'validation_failed');
        const names = path
          .split('?')[1]
          .split('&')
          .map((pair) => pair.split('=')[0]);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(names);
      }
      await t.http.get('/api/v1/webhooks').set(clinic.admin.auth).expect(200);
      await t.http.get('/api/v1/clinics/me').set(clinic.admin.auth).expect(200);
    });
  });
});
