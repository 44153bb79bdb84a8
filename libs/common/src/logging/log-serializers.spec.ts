import { Writable } from 'node:stream';
import { createRootLogger, PinoNestLogger } from './logger';
import {
  addRouteWords,
  loggedPath,
  redactQueryStrings,
  redactQuoted,
  routePatternWords,
  serializeError,
  serializeRequest,
} from './log-serializers';

/** A pg DatabaseError as the driver builds it, wrapped the way TypeORM wraps it. */
function queryFailed(): Error {
  const driverError = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
    code: '23505',
    detail: 'Key (email)=(jamie@example.test) already exists.',
    constraint: 'users_email_key',
    table: 'users',
  });
  class QueryFailedError extends Error {}
  return Object.assign(new QueryFailedError(driverError.message), {
    ...driverError,
    query: 'INSERT INTO users (email, password_hash) VALUES ($1, $2)',
    parameters: ['jamie@example.test', '$argon2id$v=19$secret'],
    driverError,
  });
}

describe('log serializers', () => {
  // As the API registers them at start-up: its routes' words, the referral actions, the web app's screens.
  addRouteWords(['api', 'v1', 'patients', 'referrals', 'referral-invites', 'unsubscribe', 'assets']);
  addRouteWords(['accept', 'send-outcome', 'accept-invitation', 'reset-password', 'sign-up']);

  it('logs a request by its path, never its query string', () => {
    expect(loggedPath('/api/v1/patients?q=Jamie', '/api/v1/patients')).toBe('/api/v1/patients');
    expect(loggedPath('/accept-invitation?token=abc#x', '/*')).toBe('/accept-invitation');
    expect(serializeRequest({ method: 'GET', url: '/api/v1/patients?q=Jamie', ip: '10.0.0.1', host: 'h' })).toEqual({
      method: 'GET',
      url: '/api/v1/patients',
      host: 'h',
      remoteAddress: '10.0.0.1',
    });
  });

  it("keeps a matched route's words and its UUID parameters, and redacts any other parameter", () => {
    const id = '0b0e8a4e-3f1c-4c55-9d7e-2a1b3c4d5e6f';
    expect(loggedPath(`/api/v1/referrals/${id}/accept`, '/api/v1/referrals/:id/accept')).toBe(`/api/v1/referrals/${id}/accept`);
    expect(loggedPath('/api/v1/patients/JamieRivera', '/api/v1/patients/:id')).toBe('/api/v1/patients/[redacted]');
    expect(loggedPath('/api/v1/patients/jamie', '/api/v1/patients/:id')).toBe('/api/v1/patients/[redacted]');
    expect(loggedPath(`/api/v1/referrals/${id}/send-outcome`, '/api/v1/referrals/:id/:action')).toBe(
      `/api/v1/referrals/${id}/send-outcome`,
    );
    expect(loggedPath(`/api/v1/referrals/${id}/Jamie Rivera`, '/api/v1/referrals/:id/:action')).toBe(
      `/api/v1/referrals/${id}/[redacted]`,
    );
    expect(serializeRequest({ url: `/api/v1/patients/Jamie?x=1`, routeOptions: { url: '/api/v1/patients/:id' } }).url).toBe(
      '/api/v1/patients/[redacted]',
    );
  });

  it('off a route, keeps only UUIDs, plain route words and built files', () => {
    const token = '2S-oED8xq1Zr7Yk3bT0wWc9vP4nA6mJhLuQeRfGiKsM';
    expect(loggedPath(`/reset-password/${token}`)).toBe('/reset-password/[redacted]');
    expect(loggedPath(`/api/v1/referral-invites/${token}`, undefined)).toBe('/api/v1/referral-invites/[redacted]');
    expect(loggedPath(`/sign-up/${token}`, '/*')).toBe('/sign-up/[redacted]');
    expect(loggedPath('/api/v1/patients/CANARY%20Name')).toBe('/api/v1/patients/[redacted]');
    expect(loggedPath('/assets/index-Bx3f_9Qa.js', '/assets/*')).toBe('/assets/index-Bx3f_9Qa.js');
    expect(loggedPath('/patients/')).toBe('/patients/');
  });

  it('keeps only registered words off a route and as an action: a lowercase name is no route word', () => {
    const id = '0b0e8a4e-3f1c-4c55-9d7e-2a1b3c4d5e6f';
    expect(loggedPath('/no-such-route/')).toBe('/[redacted]/');
    expect(loggedPath('/patients/jamie-rivera', '/*')).toBe('/patients/[redacted]');
    expect(loggedPath('/api/v1/patients/by-name/rivera')).toBe('/api/v1/patients/[redacted]/[redacted]');
    expect(loggedPath(`/api/v1/referrals/${id}/jamie`, '/api/v1/referrals/:id/:action')).toBe(
      `/api/v1/referrals/${id}/[redacted]`,
    );
    expect(routePatternWords('/api/v1/referrals/:id/:action')).toEqual(['api', 'v1', 'referrals']);
    addRouteWords(['Not-A-Word', 'a'.repeat(40), 'no-such-route']);
    expect(loggedPath('/no-such-route/Not-A-Word')).toBe('/no-such-route/[redacted]');
  });

  it('keeps type, code, message and stack frames of a database error, and nothing it carries', () => {
    const out = serializeError(queryFailed());
    expect(out).toEqual({
      type: 'QueryFailedError',
      code: '23505',
      message: 'duplicate key value violates unique constraint "users_email_key"',
      stack: expect.stringMatching(/^QueryFailedError: duplicate key[^\n]*\n\s+at /),
    });
    expect(JSON.stringify(out)).not.toMatch(/jamie|argon2|INSERT/);
  });

  it('redacts the values PostgreSQL and TypeORM quote in messages, also in the stack and causes', () => {
    const error = new Error('invalid input syntax for type integer: "Jamie Rivera"', {
      cause: new Error('Could not find any entity of type "Patient" matching: {"lastName": "Rivera"}'),
    });
    const out = serializeError(error);
    expect(out.message).toBe('invalid input syntax for type integer: "[redacted]"');
    expect(out.cause?.message).toBe('Could not find any entity of type "[redacted]" matching: {"[redacted]": "[redacted]"}');
    expect(JSON.stringify(out)).not.toMatch(/Jamie|Rivera/);
    expect(redactQuoted('relation "patients" and "x"', new Set(['patients']))).toBe('relation "patients" and "[redacted]"');
  });

  it('redacts the token of an unsubscribe link, in a logged path and in a message', () => {
    expect(loggedPath('/api/v1/unsubscribe/AbC-_123?x=1', '/api/v1/unsubscribe/:token')).toBe('/api/v1/unsubscribe/[redacted]');
    expect(redactQueryStrings('Route PUT:/api/v1/unsubscribe/AbC-_123 not found')).toBe(
      'Route PUT:/api/v1/unsubscribe/[redacted] not found',
    );
  });

  it('redacts the token however the path spells the segment: cased, escaped, with an encoded slash or a ;', () => {
    expect(loggedPath('/API/V1/UNSUBSCRIBE/AbC-_123')).toBe('/[redacted]/[redacted]/[redacted]/[redacted]');
    expect(loggedPath('/api/v1/%75nsubscribe/AbC-_123')).toBe('/api/v1/[redacted]/[redacted]');
    expect(loggedPath('/api/v1/unsubscribe%2FAbC-_123')).toBe('/api/v1/[redacted]');
    expect(loggedPath('/api/v1/unsubscribe;x/x2Ul-6gd')).toBe('/api/v1/[redacted]/[redacted]');
    expect(redactQueryStrings('Route PUT:/api/v1/%75nsubscribe/AbC-_123 not found')).toBe(
      'Route PUT:/api/v1/unsubscribe/[redacted] not found',
    );
  });

  it('redacts query strings that messages quote, keeping the path', () => {
    expect(redactQueryStrings('Route GET:/api/v1/patients?q=Jamie%20Rivera not found')).toBe(
      'Route GET:/api/v1/patients?[redacted] not found',
    );
    expect(redactQueryStrings('open http://x.test/accept-invitation?token=abc.def now')).toBe(
      'open http://x.test/accept-invitation?[redacted] now',
    );
    expect(redactQueryStrings('is it ready? yes')).toBe('is it ready? yes');
    expect(serializeError(new Error('Reply was already sent for GET /patients?q=Jamie')).message).toBe(
      'Reply was already sent for GET /patients?[redacted]',
    );
  });

  it('applies to every line of the root logger and of Nest’s logger', () => {
    const lines: string[] = [];
    const root = createRootLogger(
      'trace',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    root.error({ err: queryFailed(), req: { method: 'GET', url: '/patients?q=Jamie' } }, 'failed');
    const nest = new PinoNestLogger(root);
    nest.error(queryFailed(), undefined, 'ProblemFilter');
    nest.warn('outbox publish failed', queryFailed(), 'OutboxRelay');
    nest.error('invalid input syntax for type date: "Jamie"', 'Error: invalid input "Jamie"\n    at f (x.js:1:1)', 'Ctx');
    root.info('Route GET:/patients?q=Jamie not found');
    const all = lines.join('');
    expect(all).not.toMatch(/Jamie|argon2|INSERT/);
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { err: { code: '23505' }, req: { url: '/patients' } },
      { context: 'ProblemFilter', err: { type: 'QueryFailedError' }, msg: expect.stringContaining('users_email_key') },
      { context: 'OutboxRelay', err: { code: '23505' }, msg: 'outbox publish failed' },
      { context: 'Ctx', trace: '    at f (x.js:1:1)', msg: 'invalid input syntax for type date: "[redacted]"' },
      { msg: 'Route GET:/patients?[redacted] not found' },
    ]);
  });
});
