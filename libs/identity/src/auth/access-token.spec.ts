import { createSecretKey, randomBytes } from 'node:crypto';
import { sign, type SignOptions, verify } from 'jsonwebtoken';
import { signToken, TokenVerifier, verifyAccessToken } from './access-token';

const secret = randomBytes(32).toString('hex');
const check = { key: createSecretKey(Buffer.from(secret)), issuer: 'referloop', audience: 'referloop-api' };
const claims = { sub: 'user-1', cid: 'clinic-1', role: 'clinic_admin', sid: 'session-1' };
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Signed with jsonwebtoken (an implementation independent of the API's), `extra` claims and
 * `options` on top; no expiry unless given.
 */
const signed = (extra: object = {}, options: SignOptions = {}, key = secret) =>
  sign({ ...claims, ...extra }, key, { algorithm: 'HS256', issuer: 'referloop', audience: 'referloop-api', ...options });
/** A token of the API's shape (5-minute expiry). */
const issued = (options: SignOptions = {}, key = secret) => signed({}, { expiresIn: 300, ...options }, key);

describe('verifyAccessToken', () => {
  it('answers the claims of a token the API issued', () => {
    expect(verifyAccessToken(issued(), check, Date.now())).toMatchObject({ ...claims, iss: 'referloop', aud: 'referloop-api' });
  });

  it('accepts the audience among several', () => {
    expect(verifyAccessToken(issued({ audience: ['other', 'referloop-api'] }), check, Date.now())).toMatchObject(claims);
  });

  it.each([
    ['expired', () => signed({ iat: nowSeconds() - 3600, exp: nowSeconds() - 1 })],
    ['expiring this second', () => signed({ exp: nowSeconds() })],
    ['without an expiry', () => signed()],
    ['not active yet', () => signed({ exp: nowSeconds() + 300, nbf: nowSeconds() + 60 })],
    ['signed with another key', () => issued({}, randomBytes(32).toString('hex'))],
    ['signed with HS512', () => issued({ algorithm: 'HS512' })],
    ['from another issuer', () => issued({ issuer: 'evil' })],
    ['for another audience', () => issued({ audience: 'someone-else' })],
    [
      'alg: none',
      () =>
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: 'referloop', aud: 'referloop-api', exp: nowSeconds() + 300 })}.`,
    ],
    [
      'with a tampered payload',
      () => {
        const [header, , signature] = issued().split('.');
        return `${header}.${b64({ ...claims, cid: 'clinic-2', iss: 'referloop', aud: 'referloop-api', exp: nowSeconds() + 300 })}.${signature}`;
      },
    ],
    ['with a character appended to the signature', () => `${issued()}A`],
    ['of four segments', () => `${issued()}.e30`],
    ['that is not a JWT', () => 'not-a-jwt'],
    ['whose payload is not an object', () => sign('[1]', secret, { algorithm: 'HS256', header: { alg: 'HS256', typ: 'JWT' } })],
  ])('refuses a token %s', (_label, make) => {
    expect(verifyAccessToken(make(), check, Date.now())).toBeUndefined();
  });
});

describe('TokenVerifier', () => {
  it('accepts a token again only while it is current', () => {
    const verifier = new TokenVerifier(check);
    const token = signed({ exp: nowSeconds() + 60 });
    expect(verifier.verify(token, Date.now())).toMatchObject(claims);
    // The second answer is the remembered one; the time is still checked.
    expect(verifier.verify(token, Date.now())).toMatchObject(claims);
    expect(verifier.verify(token, Date.now() + 61_000)).toBeUndefined();
    const later = signed({ exp: nowSeconds() + 300, nbf: nowSeconds() + 60 });
    expect(verifier.verify(later, Date.now() + 120_000)).toMatchObject(claims);
    expect(verifier.verify(later, Date.now())).toBeUndefined();
  });

  it('never remembers a token it refused, nor trusts one that differs from a remembered one', () => {
    const verifier = new TokenVerifier(check);
    const token = issued();
    expect(verifier.verify(token, Date.now())).toBeDefined();
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${b64({ ...claims, cid: 'clinic-2', iss: 'referloop', aud: 'referloop-api', exp: nowSeconds() + 300 })}.${signature}`;
    expect(verifier.verify(tampered, Date.now())).toBeUndefined();
    expect(verifier.verify(`${token}A`, Date.now())).toBeUndefined();
    const foreign = issued({}, randomBytes(32).toString('hex'));
    expect(verifier.verify(foreign, Date.now())).toBeUndefined();
    expect(verifier.verify(foreign, Date.now())).toBeUndefined();
  });

  it('stays within its capacity', () => {
    const verifier = new TokenVerifier(check, 2);
    const tokens = [1, 2, 3].map((n) => signed({ jti: `t${n}`, exp: nowSeconds() + 60 }));
    for (const token of tokens) expect(verifier.verify(token, Date.now())).toBeDefined();
    expect((verifier as unknown as { accepted: Map<string, unknown> }).accepted.size).toBeLessThanOrEqual(2);
    for (const token of tokens) expect(verifier.verify(token, Date.now())).toBeDefined();
  });
});

describe('signToken', () => {
  const streamCheck = { ...check, audience: 'referloop-events' };
  const streamClaims = (exp: number) => ({ sub: 'user-1', sid: 'session-1', iss: 'referloop', aud: 'referloop-events', exp });

  it('makes an HS256 token verifyAccessToken accepts', () => {
    const token = signToken(streamClaims(nowSeconds() + 60), check.key);
    expect(verifyAccessToken(token, streamCheck, Date.now())).toMatchObject({ sub: 'user-1', sid: 'session-1' });
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it("makes an access token jsonwebtoken verifies with the API's options", () => {
    const token = signToken(
      { ...claims, iat: nowSeconds(), exp: nowSeconds() + 60, aud: 'referloop-api', iss: 'referloop' },
      check.key,
    );
    expect(verify(token, secret, { algorithms: ['HS256'], issuer: 'referloop', audience: 'referloop-api' })).toMatchObject(
      claims,
    );
    expect(() => verify(token, randomBytes(32).toString('hex'), { algorithms: ['HS256'] })).toThrow('invalid signature');
  });

  it('makes nothing another key, another audience or a later clock accepts', () => {
    const token = signToken(streamClaims(nowSeconds() + 60), check.key);
    expect(verifyAccessToken(token, { ...streamCheck, key: createSecretKey(randomBytes(32)) }, Date.now())).toBeUndefined();
    expect(verifyAccessToken(token, check, Date.now())).toBeUndefined();
    expect(verifyAccessToken(token, streamCheck, Date.now() + 61_000)).toBeUndefined();
  });
});
