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

/**
 * The claims of an HS256 JWT with a valid signature under `key`, unexpired (and active, when it
 * has `nbf`), from `issuer` to `audience`; undefined for anything else, `alg: none` and other
 * algorithms included. The same checks jsonwebtoken's verify makes for these options, on the
 * request path of every authenticated call, where jsonwebtoken (decoding each token twice, through
 * streams) and @nestjs/jwt's option merging were a seventh of the CPU of a one-row read.
 */
export function verifyAccessToken(token: string, check: AccessTokenCheck, nowMs: number): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts;
  if (!SEGMENT.test(header) || !SEGMENT.test(payload) || !SEGMENT.test(signature)) return undefined;
  if (decodeJson(header)?.alg !== 'HS256') return undefined;
  const expected = Buffer.from(createHmac('sha256', check.key).update(`${header}.${payload}`).digest('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;

  const claims = decodeJson(payload);
  if (!claims || !isCurrent(claims, nowMs)) return undefined;
  if (claims.iss !== check.issuer) return undefined;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(check.audience)) return undefined;
  return claims;
}

/** Unexpired, and active when the token has `nbf`. */
function isCurrent(claims: Readonly<Record<string, unknown>>, nowMs: number): boolean {
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.exp !== 'number' || now >= claims.exp) return false;
  return claims.nbf === undefined || (typeof claims.nbf === 'number' && now >= claims.nbf);
}

/**
 * {@link verifyAccessToken} that remembers the tokens it accepted: a client sends the same token
 * with every request for its 15 minutes, and the HMAC and the two JSON decodings were a twentieth
 * of a one-row read's CPU. Only a byte-identical token (signature included) is found again, and its
 * times are checked on every use. Bounded: when full, it starts over.
 */
export class TokenVerifier {
  private readonly accepted = new Map<string, Readonly<Record<string, unknown>>>();

  constructor(
    readonly check: AccessTokenCheck,
    private readonly capacity = 10_000,
  ) {}

  verify(token: string, nowMs: number): Readonly<Record<string, unknown>> | undefined {
    const known = this.accepted.get(token);
    if (known) return isCurrent(known, nowMs) ? known : undefined;
    const claims = verifyAccessToken(token, this.check, nowMs);
    if (claims) {
      if (this.accepted.size >= this.capacity) this.accepted.clear();
      this.accepted.set(token, Object.freeze(claims));
    }
    return claims;
  }
}

/** An HS256 JWT of `claims` under `key`: the counterpart of verifyAccessToken, for every token this server makes (access and stream). */
export function signToken(claims: Record<string, unknown>, key: KeyObject): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
