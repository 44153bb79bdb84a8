import { randomBytes, randomUUID } from 'node:crypto';
import { get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clinicPayload, isoDateFrom, PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import { openLiveStream } from './support/live-stream';
import { createPatient } from './support/referral-helpers';
import { eventually, startSmtpSink } from './support/sinks';
import { expectProblem, registerClinic, type TestApp, startTestApp, type TestClinic } from './support/test-app';

/**
 * SPEC/issue 9: no PHI and no secrets in logs. The API and the worker log through the production
 * logger at level trace into memory, so every line the code writes is searched; the requests below
 * put a patient name in a query string, an invitation token in an API body and a web app URL, and
 * make PostgreSQL fail on rows that hold the patient and a password hash.
 */
/** An email's body with quoted-printable soft line breaks and =XX escapes undone. */
const quotedPrintable = (raw: string) =>
  raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

describe('what the API and the worker log', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let sql: Client;
  let clinic: TestClinic;
  const canary = `Qzcanary${randomBytes(6).toString('hex')}`;

  /** How often `text` occurs in everything logged so far. */
  const countInLogs = (text: string) => t.logs.join('').split(text).length - 1;
  const logLines = () => t.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

  const patientBody = (overrides: Record<string, unknown> = {}) => ({
    firstName: canary,
    lastName: `${canary}son`,
    dateOfBirth: isoDateFrom(new Date(), -40 * 365),
    preferredContact: 'phone',
    ...overrides,
  });

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_SWEEP_INTERVAL: '500ms' }, { worker: true, captureLogs: true });
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    clinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
    await smtp.close();
  });

  it("pages patients with a sealed cursor: no name in the next page's URL", async () => {
    const pager = await registerClinic(t.http, { name: 'Paging Massage' });
    const first = await createPatient(t.http, pager.admin, { firstName: `${canary}a`, lastName: `${canary}pager` });
    const second = await createPatient(t.http, pager.admin, { firstName: `${canary}b`, lastName: `${canary}pager` });
    const page1 = await t.http
      .get('/api/v1/patients')
      .query({ q: `${canary}pager`, limit: 1 })
      .set(pager.admin.auth)
      .expect(200);
    expect(page1.body.items.map((p: { id: string }) => p.id)).toEqual([first.id]);
    const cursor = page1.body.nextCursor as string;
    expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain(canary);
    expect(cursor).not.toContain(canary);
    // The cursor keeps its place when the patient it ends on is renamed meanwhile.
    await t.http
      .patch(`/api/v1/patients/${first.id}`)
      .set(pager.admin.auth)
      .send({ firstName: `${canary}z` })
      .expect(200);
    const page2 = await t.http
      .get('/api/v1/patients')
      .query({ q: `${canary}pager`, limit: 1, cursor })
      .set(pager.admin.auth)
      .expect(200);
    expect(page2.body.items.map((p: { id: string }) => p.id)).toEqual([second.id]);
    // An altered cursor is refused, like any forged one. The second-to-last character always carries
    // sealed bits (the last may carry only base64 padding bits), and it is changed whatever it was.
    const altered = `${cursor.slice(0, -2)}${cursor.at(-2) === 'A' ? 'B' : 'A'}${cursor.slice(-1)}`;
    expect(altered).not.toBe(cursor);
    expectProblem(
      await t.http.get('/api/v1/patients').query({ cursor: altered }).set(pager.admin.auth),
      400,
      'validation_failed',
    );
  });

  it('never writes a patient name searched for in a query string', async () => {
    const patient = await createPatient(t.http, clinic.admin, { firstName: canary, lastName: `${canary}son` });
    const found = await t.http.get('/api/v1/patients').query({ q: canary }).set(clinic.admin.auth).expect(200);
    expect(found.body.items.map((p: { id: string }) => p.id)).toEqual([patient.id]);
    // An unknown API route and a web app route with the name in their query strings.
    await t.http.get('/api/v1/no-such-route').query({ q: canary }).set(clinic.admin.auth).expect(404);
    await t.http.get('/patients').query({ q: canary });
    // And in paths, where only a hand-made link would put it: a route's parameter, the web app's catch-all.
    await t.http.get(`/api/v1/patients/${canary}`).set(clinic.admin.auth).expect(400);
    await t.http.get(`/patients/${canary}`);
    await t.http.get(`/reset-password/${canary}`);

    // Positive control: the request lines are there, with their path.
    const requestLines = logLines().filter((l) => l.msg === 'request completed');
    expect(requestLines.map((l) => (l.req as { url: string }).url)).toEqual(
      expect.arrayContaining([
        '/api/v1/patients',
        '/api/v1/[redacted]',
        '/patients',
        '/api/v1/patients/[redacted]',
        '/patients/[redacted]',
        '/reset-password/[redacted]',
      ]),
    );
    expect(countInLogs(canary)).toBe(0);
  });

  it('never writes a lowercase name in a path, which is spelled like a route word', async () => {
    // Short and plain like `referrals` or `sign-up`: only the words of the routes and screens are logged.
    const name = canary.toLowerCase();
    expect(name).toMatch(/^[a-z0-9]{1,24}$/);
    await t.http.get(`/patients/${name}`).expect(200);
    await t.http.get(`/api/v1/patients/by-name/${name}`).set(clinic.admin.auth).expect(404);
    await t.http.post(`/api/v1/referrals/${randomUUID()}/${name}`).set(clinic.admin.auth).send({}).expect(404);
    await t.http.get('/referrals/new');
    await t.http.get('/settings/security');

    const urls = logLines()
      .filter((l) => l.msg === 'request completed')
      .map((l) => (l.req as { url: string }).url);
    expect(urls).toEqual(
      expect.arrayContaining([
        '/patients/[redacted]',
        '/api/v1/patients/[redacted]/[redacted]',
        expect.stringMatching(/^\/api\/v1\/referrals\/[0-9a-f-]{36}\/\[redacted\]$/),
        // Positive control: the web app's own screens keep their words.
        '/referrals/new',
        '/settings/security',
      ]),
    );
    expect(countInLogs(name)).toBe(0);
  });

  it('writes one access line per request, with its id, path and status, and none for the liveness probe', async () => {
    const requestId = `access-${randomBytes(6).toString('hex')}`;
    await t.http.get('/api/v1/referrals').query({ status: 'sent' }).set('x-request-id', requestId).expect(401);
    const probeId = `probe-${randomBytes(6).toString('hex')}`;
    await t.http.get('/health/live').set('x-request-id', probeId).expect(200);

    const lines = logLines().filter((l) => l.reqId === requestId);
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request completed',
        req: expect.objectContaining({ method: 'GET', url: '/api/v1/referrals' }) as unknown,
        res: { statusCode: 401 },
        responseTime: expect.any(Number) as unknown,
      }),
    ]);
    expect(logLines().filter((l) => l.reqId === probeId)).toEqual([]);
  });

  it('never writes an invitation token, from the web app link or the API body', async () => {
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .send(practitionerPayload('physical_therapist', new Date()))
      .expect(201);
    const { token } = invited.body.invitation as { token: string };
    // The worker emails the link (so it handles the token too).
    await eventually(() => smtp.messages.some((m) => m.raw.includes(token.slice(0, 20))), 'the invitation email');
    await t.http.get('/accept-invitation').query({ token });
    await t.http.post('/api/v1/auth/accept-invitation').send({ token, password: PASSWORD }).expect(200);
    await t.http.post('/api/v1/auth/accept-invitation').send({ token, password: PASSWORD }).expect(400);

    expect(logLines().some((l) => (l.req as { url?: string } | undefined)?.url === '/accept-invitation')).toBe(true);
    expect(countInLogs(token)).toBe(0);
    expect(countInLogs(encodeURIComponent(token))).toBe(0);
  });

  it('never writes a reset token, a password or the address of a reset, a sign-in or a password change', async () => {
    const { admin } = await registerClinic(t.http);
    const before = smtp.messages.length;
    await t.http.post('/api/v1/auth/password-reset').send({ email: admin.email }).expect(202);
    const mail = await eventually(
      () => smtp.messages.slice(before).find((m) => m.to.includes(admin.email) && m.raw.includes('reset-password')),
      'the reset email',
    );
    const token = decodeURIComponent(/reset-password#token=([A-Za-z0-9_%-]+)/.exec(quotedPrintable(mail.raw))![1]);
    const [reset, wrong, changed] = ['Reset-passphrase-9f3k', 'Wrong-passphrase-2m7q', 'Changed-passphrase-8x1z'];
    await t.http.post('/api/v1/auth/password-reset/lookup').send({ token }).expect(204);
    const signedIn = await t.http.post('/api/v1/auth/password-reset/confirm').send({ token, password: reset }).expect(200);
    await t.http.post('/api/v1/auth/login').send({ email: admin.email, password: wrong }).expect(401);
    await t.http
      .post('/api/v1/me/password')
      .set('Authorization', `Bearer ${signedIn.body.accessToken}`)
      .send({ currentPassword: reset, newPassword: changed })
      .expect(204);

    for (const secret of [token, encodeURIComponent(token), reset, wrong, changed, admin.email, admin.email.toLowerCase()]) {
      expect([secret, countInLogs(secret)]).toEqual([secret, 0]);
    }
  });

  it("never writes the web session's cookies (refresh and events), set, sent or refused", async () => {
    const WEB = { 'x-referloop-client': 'web' };
    const login = await t.http
      .post('/api/v1/auth/login')
      .set(WEB)
      .send({ email: clinic.admin.email, password: PASSWORD })
      .expect(200);
    const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    const events = cookies.find((c) => c.startsWith('referloop_events='));
    const refresh = cookies.find((c) => c.startsWith('referloop_refresh='));
    if (!events || !refresh) throw new Error(`missing cookies: ${JSON.stringify(cookies)}`);
    // A stream opened with the cookie (over a real socket: it stays open until closed).
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const stream = await openLiveStream(`http://127.0.0.1:${port}`, undefined, undefined, { cookie: events });
    expect(stream.status).toBe(200);
    stream.close();
    expectProblem(
      await t.http.get('/api/v1/events').set('Cookie', events).set('Origin', 'https://evil.example'),
      403,
      'forbidden',
    );
    await t.http
      .post('/api/v1/auth/refresh')
      .set(WEB)
      .set('Origin', 'http://referloop.test')
      .set('Cookie', `${refresh}; ${events}`)
      .send({})
      .expect(200);
    await t.http.post('/api/v1/auth/refresh').set(WEB).set('Origin', 'http://referloop.test').set('Cookie', refresh).send({});
    expectProblem(
      await t.http.get('/api/v1/events').set('Cookie', events).set('Origin', 'https://evil.example'),
      403,
      'forbidden',
    );

    for (const value of [events.split('=')[1], refresh.split('=')[1], refresh.split('=')[1].split('.')[1]]) {
      expect(value.length).toBeGreaterThan(20);
      expect(countInLogs(value)).toBe(0);
    }
  });

  it('never writes the access token of an upload, whose body the API parses itself', async () => {
    const token = clinic.admin.accessToken;
    await t.http
      .post(`/api/v1/referrals/${randomUUID()}/attachments`)
      .set(clinic.admin.auth)
      .attach('file', Buffer.from('%PDF-1.4\n'), 'a.pdf')
      .expect(404);
    // Positive control: the upload's lines (at trace, the whole request) are there.
    expect(logLines().some((l) => (l.req as { url?: string } | undefined)?.url?.endsWith('/attachments'))).toBe(true);
    expect(countInLogs(token)).toBe(0);
    expect(countInLogs(token.split('.')[2])).toBe(0);
  });

  it('never writes an unsubscribe token, however the path spells the segment', async () => {
    const token = randomBytes(48).toString('base64url');
    for (const path of [
      `/api/v1/unsubscribe/${token}`,
      `/API/V1/UNSUBSCRIBE/${token}`,
      `/api/v1/%75nsubscribe/${token}`,
      `/api/v1/unsubscribe%2F${token}`,
      `/api/v1/unsubscribe;x/${token}`,
    ]) {
      await t.http.get(path);
    }
    const urls = logLines()
      .filter((l) => l.msg === 'request completed')
      .map((l) => (l.req as { url: string }).url);
    expect(urls).toEqual(expect.arrayContaining(['/api/v1/unsubscribe/[redacted]', '/api/v1/[redacted]/[redacted]']));
    expect(countInLogs(token)).toBe(0);
  });

  it("logs an export's failed audit row on the export's request, by the id its answer carried", async () => {
    // Enough rows that the CSV outgrows the socket's buffers: a client that goes away leaves it cut short.
    const patient = await createPatient(t.http, clinic.admin, { firstName: 'Export', lastName: 'Cutshort' });
    await sql.query(
      `INSERT INTO referrals (kind, status, patient_id, sender_id, sender_clinic_id, recipient_id, recipient_clinic_id, created_by,
                              priority, reason, created_at)
       SELECT 'injury_care', 'draft', $1, $2, $3, $2, $3, $2, 'routine', 'Bulk ' || g, now() - g * interval '1 second'
         FROM generate_series(1, 6000) g`,
      [patient.id, clinic.admin.id, clinic.clinicId],
    );
    await sql.query(`CREATE FUNCTION privacy_test_no_export_audit() RETURNS trigger LANGUAGE plpgsql AS
                     $$ BEGIN RAISE EXCEPTION 'export audit refused'; END $$`);
    await sql.query(`CREATE TRIGGER privacy_test_no_export_audit BEFORE INSERT ON audit_events
                     FOR EACH ROW WHEN (NEW.action = 'referral.export') EXECUTE FUNCTION privacy_test_no_export_audit()`);
    try {
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      // Goes away after the first bytes, long before the last batch.
      const { status, requestId } = await new Promise<{ status?: number; requestId: unknown }>((resolve, reject) => {
        const req = httpGet(
          `http://127.0.0.1:${port}/api/v1/admin/referrals/export.csv`,
          { headers: clinic.admin.auth },
          (res) => {
            res.once('data', () => {
              req.destroy();
              resolve({ status: res.statusCode, requestId: res.headers['x-request-id'] });
            });
          },
        );
        req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      });
      expect(status).toBe(200);

      const line = await eventually(
        () => logLines().find((l) => l.msg === 'referral.export audit failed'),
        'the audit failure line',
      );
      expect(line).toMatchObject({ reqId: requestId, context: 'ReferralExportService', level: 50 });
      expect((line.err as { message: string }).message).toContain('export audit refused');
    } finally {
      await sql.query(`DROP TRIGGER privacy_test_no_export_audit ON audit_events`);
      await sql.query(`DROP FUNCTION privacy_test_no_export_audit()`);
    }
  });

  it('logs a database failure with its type, code and stack, never the values PostgreSQL reports', async () => {
    // A patient insert that PostgreSQL refuses with the values in its detail ("Key (first_name)=(…)")…
    await sql.query(`CREATE UNIQUE INDEX privacy_test_first_name ON patients (first_name)`);
    const duplicate = await t.http.post('/api/v1/patients').set(clinic.admin.auth).send(patientBody());
    expectProblem(duplicate, 500, 'internal_error');
    // …and one whose message embeds the value (invalid input syntax for type integer: "…").
    // (The list's index and the search's trigram index hold name_order(text), which an integer column cannot keep.)
    await sql.query(`DROP INDEX patients_clinic_name_idx`);
    await sql.query(`DROP INDEX patients_last_name_trgm_idx`);
    await sql.query(`ALTER TABLE patients ALTER COLUMN last_name TYPE integer USING 0`);
    const badType = await t.http
      .post('/api/v1/patients')
      .set(clinic.admin.auth)
      .send(patientBody({ firstName: 'Other', lastName: `${canary}-typed` }));
    expectProblem(badType, 500, 'internal_error');
    // A registration that fails on the users row (which holds the password hash).
    await sql.query(`ALTER TABLE users ADD CONSTRAINT privacy_test_no_users CHECK (false) NOT VALID`);
    const registration = await t.http.post('/api/v1/auth/register-clinic').send({
      clinic: clinicPayload({ name: 'Capitol Physio' }),
      admin: { email: uniqueEmail(canary.toLowerCase()), password: PASSWORD, fullName: `${canary} Admin` },
    });
    expectProblem(registration, 500, 'internal_error');

    const errors = logLines().filter((l) => l.err);
    expect(errors.map((l) => (l.err as { code?: string }).code)).toEqual(expect.arrayContaining(['23505', '22P02', '23514']));
    // Each is written on its request's logger: the id the client was answered with finds the line.
    const failed = [duplicate, badType, registration].map((res) => (res.body as { requestId: string }).requestId);
    expect(errors.map((l) => l.reqId)).toEqual(expect.arrayContaining(failed));
    expect(errors.filter((l) => failed.includes(l.reqId as string)).map((l) => l.context)).toEqual(
      Array(3).fill('ProblemFilter'),
    );
    // The message stays useful: PostgreSQL's names are kept, the values it quotes are not.
    expect(errors.map((l) => (l.err as { message: string }).message)).toEqual(
      expect.arrayContaining([
        'duplicate key value violates unique constraint "privacy_test_first_name"',
        'invalid input syntax for type integer: "[redacted]"',
      ]),
    );
    for (const line of errors) {
      const err = line.err as Record<string, unknown>;
      expect(Object.keys(err).sort()).toEqual(expect.arrayContaining(['message', 'stack', 'type']));
      for (const key of ['parameters', 'detail', 'query', 'driverError', 'where']) expect(err).not.toHaveProperty(key);
    }
    expect(countInLogs(canary)).toBe(0);
    expect(countInLogs('$argon2')).toBe(0);
    expect(countInLogs(PASSWORD)).toBe(0);
    expect(countInLogs('Failing row')).toBe(0);
    expect(countInLogs('Key (')).toBe(0);
  });
});
