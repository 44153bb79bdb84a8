import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';

export interface AccessTokenCheck {
  key: KeyObject;
  issuer: string;
  audience: string;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of a token whose header and signature are right, undefined otherwise; times and parties are not checked here. */
function signedClaims(token: string, key: KeyObject): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts;
  if (!SEGMENT.test(header) || !SEGMENT.test(payload) || !SEGMENT.test(signature)) return undefined;
  if (decodeJson(header)?.alg !== 'HS256') return undefined;
  const expected = Buffer.from(createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return decodeJson(payload);
}

/** The claims when they are unexpired (and active, when they have `nbf`), from `issuer` to `audience`. */
function currentClaims(
  claims: Record<string, unknown>,
  check: AccessTokenCheck,
  nowMs: number,
): Record<string, unknown> | undefined {
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.exp !== 'number' || now >= claims.exp) return undefined;
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || now < claims.nbf)) return undefined;
  if (claims.iss !== check.issuer) return undefined;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(check.audience)) return undefined;
  return claims;
}

/**
 * The claims of an HS256 JWT with a valid signature under `key`, unexpired (and active, when it
 * has `nbf`), from `issuer` to `audience`; undefined for anything else, `alg: none` and other
 * algorithms included. The same checks jsonwebtoken's verify makes for these options, on the
 * request path of every authenticated call, where jsonwebtoken (decoding each token twice, through
 * streams) and @nestjs/jwt's option merging were a seventh of the CPU of a one-row read.
 */
export function verifyAccessToken(
  token: string,
  check: AccessTokenCheck,
  nowMs = Date.now(),
): Record<string, unknown> | undefined {
  const claims = signedClaims(token, check.key);
  return claims && currentClaims(claims, check, nowMs);
}

/**
 * verifyAccessToken with a memory of the tokens whose signature it has already checked: a client
 * sends the same access token with every request until it refreshes it, and the HMAC and the two
 * JSON decodes were most of the auth guard's own CPU. Only correctly signed tokens are remembered
 * (a forged one costs its HMAC every time and cannot fill the memory), the times and parties are
 * checked on every call, and the memory is bounded: when full it starts again empty.
 */
export class AccessTokenVerifier {
  private readonly verified = new Map<string, Readonly<Record<string, unknown>>>();

  constructor(
    private readonly check: AccessTokenCheck,
    private readonly capacity = 10_000,
  ) {}

  verify(token: string, nowMs = Date.now()): Record<string, unknown> | undefined {
    let claims = this.verified.get(token);
    if (!claims) {
      claims = signedClaims(token, this.check.key);
      if (!claims) return undefined;
      if (this.verified.size >= this.capacity) this.verified.clear();
      this.verified.set(token, Object.freeze(claims));
    }
    return currentClaims(claims, this.check, nowMs);
  }
}
