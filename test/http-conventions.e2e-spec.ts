import { PASSWORD, uniqueEmail } from '@referloop/testing';
import { SPEC_STATES } from '@referloop/testing/spec-lifecycle';
import {
  actOk,
  createPatient,
  createReferral,
  dateInDays,
  injuryReferralBody,
  invitedReferralBody,
} from './support/referral-helpers';
import { committedDocument, operationTemplate } from './support/openapi-document';
import { addPractitioner, expectProblem, registerClinic, startTestApp, type TestApp } from './support/test-app';

// What every answer has in common: problem+json errors, request ids, security headers, CORS,
// rate limits on the auth routes, health checks and the OpenAPI document.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type DocumentedResponse = { content?: Record<string, unknown>; headers?: Record<string, unknown> };
type CommittedDocument = { paths: Record<string, Record<string, { responses: Record<string, DocumentedResponse> }>> };

/** Headers an answer may carry that a client acts on: each must be in the document where it is sent. */
const HEADERS_CLIENTS_READ = ['etag', 'retry-after', 'idempotent-replayed', 'content-disposition'];

/**
 * What an answer carries that its operation in the document does not declare: its status, its
 * content type, a header a client reads. Empty when the document tells the truth about it.
 */
function undocumentedIn(
  document: CommittedDocument,
  method: string,
  path: string,
  res: { status: number; headers: Record<string, string> },
): string[] {
  const template = operationTemplate(document.paths, method, path);
  if (!template) return [`${method} ${path.split('?')[0]}: no such operation`];
  const where = `${method} ${template} ${res.status}`;
  const response = document.paths[template][method].responses[res.status];
  if (!response) return [`${where}: status not documented`];
  const missing: string[] = [];
  const type = (res.headers['content-type'] ?? '').split(';')[0];
  const types = Object.keys(response.content ?? {});
  if (type && !types.includes(type) && !types.includes('*/*')) missing.push(`${where}: content type ${type}`);
  const declared = Object.keys(response.headers ?? {}).map((name) => name.toLowerCase());
  for (const header of HEADERS_CLIENTS_READ) {
    if (res.headers[header] !== undefined && !declared.includes(header)) missing.push(`${where}: header ${header}`);
  }
  return missing;
}

describe('HTTP conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('errors', () => {
    // Other GET paths may be the web app's client-side routes (it answers them when it is built).
    it.each(['/api/v1/nothing-here', '/api/v2/practitioners', '/api', '/health/nothing', '/assets/missing-file.js'])(
      'an unknown route %s is a 404 problem',
      async (path) => {
        const res = await t.http.get(path);
        expectProblem(res, 404, 'not_found');
        expect(res.body.instance).toBe(path);
        expect(res.body.requestId).toBe(res.headers['x-request-id']);
      },
    );

    it('headers larger than the server takes are a 431 problem too (Node refuses them before routing)', async () => {
      const res = await t.http.get('/api/v1/practitioners').set('X-Filler', 'a'.repeat(20_000));
      expect(res.status).toBe(431);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(res.text)).toMatchObject({
        status: 431,
        code: 'payload_too_large',
        type: 'urn:referloop:problem:payload_too_large',
        requestId: res.headers['x-request-id'],
      });
      // Like every answer: a request id, and the headers that keep it out of caches, frames and sniffing.
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      });
    });

    it('a POST to an unknown route outside the API is a 404 problem too', async () => {
      expectProblem(await t.http.post('/nothing-here').send({ a: 1 }), 404, 'not_found');
    });

    it.each([
      ['delete', '/api/v1/clinics/me'],
      ['put', '/api/v1/practitioners'],
      ['delete', '/api/v1/auth/login'],
      ['get', '/api/v1/auth/login'],
    ] as const)('a wrong method (%s %s) is a 404 problem, like any route that does not exist', async (method, path) => {
      const { admin } = await registerClinic(t.http);
      expectProblem(await t.http[method](path).set(admin.auth), 404, 'not_found');
    });

    it('a route that takes no body accepts an empty one, whatever its Content-Type (as it does no body, or {})', async () => {
      const { admin } = await registerClinic(t.http);
      await t.http.post('/api/v1/auth/logout').set(admin.auth).set('Content-Type', 'application/json').send('').expect(204);
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
        const { admin: other } = await registerClinic(t.http);
        await t.http.post('/api/v1/auth/logout').set(other.auth).set('Content-Type', type).send('').expect(204);
      }
    });

    it.each([
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
      ['application/x-www-form-urlencoded', 'a=1'],
    ])('a %s body to a route or method that does not exist is its 404, not a 415', async (type, body) => {
      const { admin } = await registerClinic(t.http);
      expectProblem(
        await t.http.post('/api/v1/nothing-here').set(admin.auth).set('Content-Type', type).send(body),
        404,
        'not_found',
      );
      expectProblem(
        await t.http.put('/api/v1/clinics/me').set(admin.auth).set('Content-Type', type).send(body),
        404,
        'not_found',
      );
    });

    it('a multipart body where none is read is answered 415 once it has arrived, not cut off mid-upload', async () => {
      const { admin } = await registerClinic(t.http);
      const part = `--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n${'a'.repeat(2_000_000)}\r\n--x--\r\n`;
      const res = await t.http
        .patch('/api/v1/clinics/me')
        .set(admin.auth)
        .set('Content-Type', 'multipart/form-data; boundary=x')
        .send(part);
      expectProblem(res, 415, 'unsupported_media_type');
      expect(res.body.errors).toEqual([{ field: 'Content-Type', message: 'Send the body as application/json' }]);
    });

    it('ends a request whose body stops arriving (408), instead of holding it and what it sent', () => {
      expect(t.app.getHttpServer().requestTimeout).toBe(120_000);
    });

    it('a malformed percent-encoding in the path is a 400 problem naming the path, not a 500', async () => {
      const { admin } = await registerClinic(t.http);
      const res = await t.http.get('/api/v1/practitioners/%E0%A4%A').set(admin.auth);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'path' })]);
    });

    it('a long id in the path is "not a UUID" (400), and one longer than any id is 404, the path not echoed', async () => {
      const { admin } = await registerClinic(t.http);
      for (const res of [
        await t.http.get(`/api/v1/patients/${'a'.repeat(300)}`).set(admin.auth),
        await t.http
          .post(`/api/v1/referrals/${'a'.repeat(300)}/send`)
          .set(admin.auth)
          .send({ version: 1 }),
      ]) {
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
      }
      const tooLong = await t.http
        .post(`/api/v1/referrals/${'JaneDoe'.repeat(100)}/send`)
        .set(admin.auth)
        .send({ version: 1 });
      expectProblem(tooLong, 404, 'not_found');
      expect(tooLong.body.detail).not.toContain('JaneDoe');
    });
  });

  describe('ids', () => {
    // UUIDs are case-insensitive: ABC… names the same row as abc…, and every rule about whose id it is holds.
    it('an id in upper case in the path is the same id: an admin still may not attest their own licence', async () => {
      const clinic = await registerClinic(t.http);
      const pt = await addPractitioner(t.http, clinic, 'physical_therapist');
      await t.http.patch(`/api/v1/practitioners/${pt.id}`).set(clinic.admin.auth).send({ isAdmin: true }).expect(200);
      const licence = { number: 'PT-SELF', region: 'TX', expiresOn: dateInDays(365) };
      for (const id of [pt.id, pt.id.toUpperCase()]) {
        const res = await t.http.patch(`/api/v1/practitioners/${id}`).set(pt.auth).send({ licence });
        expectProblem(res, 403, 'forbidden');
      }
    });

    it('an id in upper case in a body is the same id, answered in lower case', async () => {
      const clinic = await registerClinic(t.http);
      const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
      const other = await registerClinic(t.http);
      const pt = await addPractitioner(t.http, other, 'physical_therapist');
      const pt2 = await addPractitioner(t.http, other, 'physical_therapist');
      // One's own id is no partner, whatever its letter case (it was a 500).
      const self = await t.http.post('/api/v1/me/partners').set(lmt.auth).send({ practitionerId: lmt.id.toUpperCase() });
      expectProblem(self, 400, 'validation_failed');
      expect(self.body.errors).toEqual([expect.objectContaining({ field: 'practitionerId' })]);
      const saved = await t.http
        .post('/api/v1/me/partners')
        .set(lmt.auth)
        .send({ practitionerId: pt.id.toUpperCase() })
        .expect(201);
      expect(saved.body.practitionerId).toBe(pt.id);
      // Reassigning to the one who has it already is refused, not a second owner change on the timeline.
      let referral = await createReferral(t.http, lmt, injuryReferralBody((await createPatient(t.http, lmt)).id, pt.id));
      referral = await actOk(t.http, lmt, referral, 'send');
      const same = await t.http
        .post(`/api/v1/referrals/${referral.id}/reassign`)
        .set(other.admin.auth)
        .send({ version: referral.version, practitionerId: pt.id.toUpperCase() });
      expectProblem(same, 400, 'validation_failed');
      const moved = await t.http
        .post(`/api/v1/referrals/${referral.id.toUpperCase()}/reassign`)
        .set(other.admin.auth)
        .send({ version: referral.version, practitionerId: pt2.id.toUpperCase() })
        .expect(200);
      expect(moved.body).toMatchObject({ id: referral.id, recipientId: pt2.id });
    });
  });

  describe('request ids', () => {
    it('gives every answer an x-request-id, and a fresh one per request', async () => {
      const a = await t.http.get('/health/live').expect(200);
      const b = await t.http.get('/health/live').expect(200);
      expect(a.headers['x-request-id']).toMatch(UUID);
      expect(b.headers['x-request-id']).toMatch(UUID);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it("keeps a caller's well-formed request id, in the header and in problems", async () => {
      const id = 'edge-proxy.req_0123456789';
      const ok = await t.http.get('/health/live').set('x-request-id', id).expect(200);
      expect(ok.headers['x-request-id']).toBe(id);
      const problem = await t.http.get('/api/v1/me').set('x-request-id', id);
      expectProblem(problem, 401, 'unauthenticated');
      expect(problem.headers['x-request-id']).toBe(id);
      expect(problem.body.requestId).toBe(id);
    });

    it.each([
      ['too short', 'abc'],
      ['with spaces', 'my request id 123'],
      ['with a newline-ish payload', 'abcdefgh%0d%0aSet-Cookie:x'],
      ['too long', 'a'.repeat(129)],
    ])('replaces a malformed one (%s)', async (_label, id) => {
      const res = await t.http.get('/health/live').set('x-request-id', id).expect(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
    });
  });

  describe('security headers', () => {
    it.each([
      ['a success', '/health/live', 200],
      ['a problem', '/api/v1/me', 401],
    ])('are on %s', async (_label, path, status) => {
      const res = await t.http.get(path).expect(status);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('CORS', () => {
    const allowed = 'https://app.example.test';
    let cors: TestApp;
    beforeAll(async () => {
      cors = await startTestApp({ CORS_ORIGINS: allowed });
    });
    afterAll(() => cors.close());

    it('answers a preflight from an allowed origin', async () => {
      const res = await cors.http
        .options('/api/v1/auth/login')
        .set('Origin', allowed)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,authorization');
      expect(res.status).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBe(allowed);
      expect(res.headers['access-control-allow-methods']).toContain('POST');
    });

    it('lets an allowed origin read the answer and the request id', async () => {
      const res = await cors.http.get('/health/live').set('Origin', allowed).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(allowed);
      expect(res.headers['access-control-expose-headers']).toContain('x-request-id');
    });

    it.each(['https://evil.example.test', 'https://app.example.test.evil.test', 'http://app.example.test'])(
      'gives no access to %s',
      async (origin) => {
        const preflight = await cors.http
          .options('/api/v1/auth/login')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST');
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
        const res = await cors.http.get('/health/live').set('Origin', origin).expect(200);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
      },
    );

    it('allows no origin at all when CORS_ORIGINS is not set', async () => {
      const res = await t.http.get('/health/live').set('Origin', allowed).expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('rate limit on the auth routes', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    });
    afterAll(() => limited.close());

    it('answers the 4th login within a minute with 429 rate_limited and retry-after', async () => {
      const email = uniqueEmail('limited');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        statuses.push((await limited.http.post('/api/v1/auth/login').send({ email, password: PASSWORD })).status);
      }
      expect(statuses).toEqual([401, 401, 401]);
      const res = await limited.http.post('/api/v1/auth/login').send({ email, password: PASSWORD });
      expectProblem(res, 429, 'rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(undocumentedIn(committedDocument(), 'post', '/api/v1/auth/login', res)).toEqual([]);
      // Routes outside auth are not limited.
      for (let i = 0; i < 5; i += 1) await limited.http.get('/health/live').expect(200);
    });
  });

  describe('health', () => {
    it('/health/live is 200 without a token', async () => {
      const res = await t.http.get('/health/live').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('/health/ready answers only up, without the operator credential', async () => {
      const res = await t.http.get('/health/ready').expect(200);
      expect(res.body).toEqual({ status: 'up' });
    });

    it('both probes answer under the API prefix too; nothing else of /health does', async () => {
      expect((await t.http.get('/api/v1/health/live').expect(200)).body).toEqual({ status: 'ok' });
      expect((await t.http.get('/api/v1/health/ready').expect(200)).body).toEqual({ status: 'up' });
      expectProblem(await t.http.get('/api/v1/health/other'), 404, 'not_found');
      expectProblem(await t.http.get('/api/v1/healthy/live'), 404, 'not_found');
    });

    it('/health/ready is 503 down when Redis is unreachable; what failed only for the operator', async () => {
      const broken = await startTestApp({
        REDIS_URL: 'redis://127.0.0.1:1',
        OPERATOR_USER: 'ops',
        OPERATOR_PASSWORD: 'operator-secret-1',
      });
      try {
        const anyone = await broken.http.get('/health/ready').expect(503);
        expect(anyone.body).toEqual({ status: 'down' });
        // A wrong credential is anyone.
        const wrong = await broken.http.get('/health/ready').auth('ops', 'not-the-password').expect(503);
        expect(wrong.body).toEqual({ status: 'down' });
        const operator = await broken.http.get('/health/ready').auth('ops', 'operator-secret-1').expect(503);
        expect(operator.body).toMatchObject({
          status: 'down',
          checks: { database: { status: 'up' }, queue: { status: 'down', backend: 'redis', error: expect.any(String) } },
        });
        await broken.http.get('/health/live').expect(200);
      } finally {
        await broken.close();
      }
    });
  });

  describe('OpenAPI', () => {
    it('serves the document with the routes and the Problem schema', async () => {
      const res = await t.http.get('/api/docs-json').expect(200);
      expect(res.headers['content-type']).toMatch(/json/);
      expect(res.body.openapi).toMatch(/^3\./);
      expect(Object.keys(res.body.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/auth/login',
          '/api/v1/auth/register-clinic',
          '/api/v1/practitioners',
          '/api/v1/practitioners/{id}',
          '/api/v1/clinics/me',
          '/api/v1/me',
        ]),
      );
      expect(res.body.components.schemas.Problem).toMatchObject({
        type: 'object',
        required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']),
      });
      expect(res.body.components.securitySchemes).toBeDefined();
      // Problems are documented as problem+json.
      const patch = res.body.paths['/api/v1/practitioners/{id}'].patch;
      expect(patch.responses['404'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
    });

    it('documents the answers every route can give: 400, 401 where a caller is needed, 413 and 415 where JSON is read', async () => {
      type Operation = {
        tags?: string[];
        security?: Record<string, unknown>[];
        requestBody?: { content: Record<string, unknown> };
        responses: Record<string, { content?: Record<string, unknown> }>;
      };
      const document = (await t.http.get('/api/docs-json').expect(200)).body as {
        paths: Record<string, Record<string, Operation>>;
      };
      const missing: string[] = [];
      for (const [path, item] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(item)) {
          // The two that take any query: the liveness probe (a plain route) and the unsubscribe link.
          if (path === '/health/live' || operation.tags?.includes('unsubscribe')) continue;
          const expected = ['400'];
          if (operation.security?.some((scheme) => 'bearer' in scheme)) expected.push('401');
          if (operation.requestBody?.content['application/json']) expected.push('413', '415');
          for (const status of expected) {
            if (!operation.responses[status]?.content?.['application/problem+json']) missing.push(`${method} ${path} ${status}`);
          }
        }
      }
      expect(missing).toEqual([]);
      // A probe met each of these undocumented (docs/api.md describes them all).
      const paths = document.paths;
      expect(Object.keys(paths['/api/v1/me/sessions'].get.responses)).toEqual(expect.arrayContaining(['400', '401']));
      expect(Object.keys(paths['/api/v1/auth/logout'].post.responses)).toContain('400');
      expect(Object.keys(paths['/api/v1/patients'].post.responses)).toEqual(expect.arrayContaining(['413', '415']));
      expect(paths['/api/v1/reference-data'].get.responses['200'].content).toHaveProperty(['application/json']);
      expect(paths['/api/v1/referrals/{id}/attachments/{attachmentId}'].get.responses['200'].content).toHaveProperty(['*/*']);
    });

    it("types the clinic's members as users (no directory partner mark) and the problem fields of conflicts", () => {
      const document = committedDocument();
      const members = document.paths['/api/v1/clinics/me/members'].get.responses['200'].content['application/json'].schema.$ref;
      const page = document.components.schemas[members.split('/').pop()];
      expect(page.properties.items.items.$ref).toBe('#/components/schemas/UserResponseDto');
      expect(Object.keys(document.components.schemas.Problem.properties)).toEqual(
        expect.arrayContaining(['currentStatus', 'allowedActions', 'currentVersion', 'replacementId', 'reason']),
      );
    });

    it('declares the status, content type and headers (ETag, idempotent-replayed, Content-Disposition, Retry-After) of what the API answers', async () => {
      const document = committedDocument();
      const clinic = await registerClinic(t.http);
      const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
      const pt = await addPractitioner(t.http, await registerClinic(t.http), 'physical_therapist');
      const answers: [string, string, Awaited<ReturnType<typeof t.http.get>>][] = [];
      const record = async (
        method: 'get' | 'post' | 'patch',
        path: string,
        send: (r: ReturnType<typeof t.http.get>) => ReturnType<typeof t.http.get>,
      ) => {
        const res = await send(t.http[method](path));
        answers.push([method, path, res]);
        return res;
      };
      const patientBody = {
        firstName: 'Jamie',
        lastName: 'Rivera',
        dateOfBirth: '1990-04-01',
        preferredContact: 'phone',
        phone: '+1 512 555 0199',
        consents: [{ scope: 'referral_sharing' }],
      };
      for (let i = 0; i < 2; i += 1)
        await record('post', '/api/v1/patients', (r) => r.set(lmt.auth).set('Idempotency-Key', 'patient-1').send(patientBody));
      const patientId = answers[0][2].body.id as string;
      const body = injuryReferralBody(patientId, pt.id);
      for (let i = 0; i < 2; i += 1)
        await record('post', '/api/v1/referrals', (r) => r.set(lmt.auth).set('Idempotency-Key', 'referral-1').send(body));
      const id = answers[2][2].body.id as string;
      await record('patch', `/api/v1/referrals/${id}`, (r) => r.set(lmt.auth).send({ version: 1, painLevel: 5 }));
      await record('post', `/api/v1/referrals/${id}/send`, (r) => r.set(lmt.auth).send({ version: 2 }));
      await record('get', `/api/v1/referrals/${id}`, (r) => r.set(pt.auth));
      await record('post', `/api/v1/referrals/${id}/accept`, (r) => r.set(pt.auth).send({ version: 1 }));
      await record('post', `/api/v1/referrals/${id}/accept`, (r) => r.set(pt.auth).set('If-Match', '"4"'));
      for (let i = 0; i < 2; i += 1)
        await record('post', `/api/v1/referrals/${id}/messages`, (r) =>
          r.set(pt.auth).set('Idempotency-Key', 'message-1').send({ body: 'Hello' }),
        );
      const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
      const attachment = await record('post', `/api/v1/referrals/${id}/attachments`, (r) =>
        r.set(lmt.auth).attach('file', pdf, 'scan.pdf'),
      );
      await record('get', `/api/v1/referrals/${id}/attachments/${attachment.body.id}`, (r) => r.set(pt.auth));
      await record('get', `/api/v1/referrals/${id}/letter.pdf`, (r) => r.set(pt.auth));
      await record('get', '/api/v1/admin/referrals/export.csv', (r) => r.set(clinic.admin.auth));
      expect(answers.map(([, , res]) => res.status)).toEqual([
        201, 201, 201, 201, 200, 200, 200, 409, 200, 201, 201, 201, 200, 200, 200,
      ]);
      expect(answers.flatMap(([method, path, res]) => undocumentedIn(document, method, path, res))).toEqual([]);
    });

    it("names what a referral answer's kind, status, priority and timeline states may be, and its version as an integer", async () => {
      const schemas = committedDocument().components.schemas;
      const referral = schemas.ReferralResponseDto.properties;
      expect(referral.status.enum).toEqual(expect.arrayContaining([...SPEC_STATES]));
      expect(referral.kind.enum).toEqual(['injury_care', 'maintenance_massage']);
      expect(referral.priority.enum).toEqual(['routine', 'urgent']);
      expect(referral.version.type).toBe('integer');
      const event = schemas.ReferralEventDto.properties;
      expect([event.fromStatus.enum, event.toStatus.enum]).toEqual([[...referral.status.enum, null], referral.status.enum]);
      // What the API answers is among them.
      const clinic = await registerClinic(t.http);
      const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
      const pt = await addPractitioner(t.http, await registerClinic(t.http), 'physical_therapist');
      const patient = await createPatient(t.http, lmt);
      const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id, { priority: 'urgent' }));
      await actOk(t.http, lmt, draft, 'send');
      const res = await t.http.get(`/api/v1/referrals/${draft.id}`).set(pt.auth).expect(200);
      expect(referral.kind.enum).toContain(res.body.kind);
      expect(referral.priority.enum).toContain(res.body.priority);
      expect(referral.status.enum).toContain(res.body.status);
      expect(Number.isInteger(res.body.version)).toBe(true);
      for (const item of res.body.timeline)
        expect(referral.status.enum).toEqual(
          expect.arrayContaining([item.toStatus, ...(item.fromStatus ? [item.fromStatus] : [])]),
        );
    });

    it('lists null among the values of an enum that may be null, as the answers send it (a strict OpenAPI 3.0 validator refuses null otherwise)', async () => {
      const document = committedDocument();
      const refusingNull: string[] = [];
      const visit = (node: unknown, at: string) => {
        if (!node || typeof node !== 'object') return;
        const schema = node as { nullable?: boolean; enum?: unknown[] };
        if (schema.nullable === true && schema.enum && !schema.enum.includes(null)) refusingNull.push(at);
        for (const [key, value] of Object.entries(node)) visit(value, `${at}/${key}`);
      };
      visit(document, '#');
      expect(refusingNull).toEqual([]);
      const { admin } = await registerClinic(t.http);
      const directory = await t.http.get('/api/v1/practitioners').set(admin.auth).expect(200);
      const partner = document.components.schemas.DirectoryItemDto.properties.partner;
      expect(directory.body.items.length).toBeGreaterThan(0);
      for (const item of directory.body.items) expect(partner.enum).toContain(item.partner);
    });

    it('admits null where the answers send it, read as strictly as OpenAPI 3.0 says (nullable widens its own type only, allOf must hold too)', async () => {
      const document = committedDocument();
      type Schema = {
        $ref?: string;
        type?: string;
        nullable?: boolean;
        enum?: unknown[];
        allOf?: Schema[];
        anyOf?: Schema[];
        oneOf?: Schema[];
        items?: Schema;
        properties?: Record<string, Schema>;
      };
      const resolve = (schema: Schema): Schema =>
        schema.$ref ? resolve(document.components.schemas[schema.$ref.split('/').pop()!]) : schema;
      const admitsNull = (given: Schema): boolean => {
        const schema = resolve(given);
        const own =
          (schema.type === undefined || schema.nullable === true) && (schema.enum === undefined || schema.enum.includes(null));
        const choice = schema.anyOf ?? schema.oneOf;
        return own && (schema.allOf ?? []).every(admitsNull) && (choice === undefined || choice.some(admitsNull));
      };
      /** The places in `value` where it is null and its schema refuses null. */
      const refusedNulls = (value: unknown, given: Schema, at: string): string[] => {
        const schema = resolve(given);
        if (value === null) return admitsNull(schema) ? [] : [at];
        const parts = [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].filter(
          (part) => !admitsNull(part),
        );
        const refused = parts.flatMap((part) => refusedNulls(value, part, at));
        if (Array.isArray(value) && schema.items)
          value.forEach((item, i) => refused.push(...refusedNulls(item, schema.items!, `${at}/${i}`)));
        else if (value && typeof value === 'object' && schema.properties) {
          for (const [key, item] of Object.entries(value))
            if (schema.properties[key]) refused.push(...refusedNulls(item, schema.properties[key], `${at}/${key}`));
        }
        return refused;
      };
      const answerSchema = (path: string) => document.paths[path].get.responses['200'].content['application/json'].schema;

      const clinic = await registerClinic(t.http);
      const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
      const patient = await createPatient(t.http, lmt);
      // To someone not on ReferLoop: no recipient, plan, outcome or appointment yet.
      const draft = await createReferral(t.http, lmt, invitedReferralBody(patient.id, uniqueEmail('invitee')));
      const referral = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200)).body;
      expect([referral.recipient, referral.plan, referral.outcome]).toEqual([null, null, null]);
      const me = (await t.http.get('/api/v1/me').set(clinic.admin.auth).expect(200)).body;
      expect(me.licence).toBeNull();
      expect(refusedNulls(referral, answerSchema('/api/v1/referrals/{id}'), 'referral')).toEqual([]);
      expect(refusedNulls(me, answerSchema('/api/v1/me'), 'me')).toEqual([]);
    });

    it('documents every page size as an integer from 1 to 100 (a number would let a client send 1.5)', () => {
      const document = committedDocument();
      const sizes: unknown[] = [];
      for (const item of Object.values<Record<string, { parameters?: { name: string; schema: unknown }[] }>>(document.paths))
        for (const operation of Object.values(item))
          for (const parameter of operation.parameters ?? []) if (parameter.name === 'limit') sizes.push(parameter.schema);
      sizes.push(document.components.schemas.PatientSearchDto.properties.limit);
      expect(sizes.length).toBeGreaterThan(10);
      for (const size of sizes) expect(size).toEqual({ type: 'integer', minimum: 1, maximum: 100 });
    });

    it('serves Swagger UI as HTML', async () => {
      const res = await t.http.get('/api/docs').redirects(1).expect(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text.toLowerCase()).toContain('swagger');
    });
  });
});
