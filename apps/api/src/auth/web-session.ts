import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The web app sends this header (value `web`) to get its refresh token as a cookie instead of in the body. */
export const WEB_CLIENT_HEADER = 'x-referloop-client';
export const REFRESH_COOKIE = 'referloop_refresh';
/** Only the auth routes ever receive the cookie. */
const COOKIE_PATH = '/api/v1/auth';
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|.+\.localhost)$/i;

interface WithRefreshToken {
  refreshToken: string;
}

/**
 * The web app's session: its refresh token lives in an httpOnly, SameSite=Strict cookie scoped to
 * /api/v1/auth, so page scripts never see a long-lived token; the short-lived access token stays in
 * the page's memory. API clients (no header) keep the body tokens.
 */
@Injectable()
export class WebSession {
  private readonly trustedOrigins: ReadonlySet<string>;
  private readonly httpsDeployment: boolean;
  /** The browser may drop the cookie once no refresh token could still work (the server checks the real expiry). */
  private readonly cookieMaxAgeSeconds: number;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.trustedOrigins = new Set([new URL(config.publicUrl).origin, ...config.corsOrigins]);
    this.httpsDeployment = config.publicUrl.startsWith('https:');
    this.cookieMaxAgeSeconds = Math.min(config.jwt.refreshTtlSeconds, Math.floor(config.sessionMaxAgeMs / 1000));
  }

  isWebClient(request: FastifyRequest): boolean {
    return request.headers[WEB_CLIENT_HEADER] === 'web';
  }

  /** The refresh token from the cookie, after checking that the call comes from the app's own pages. */
  cookieToken(request: FastifyRequest): string | undefined {
    const token = readCookie(request.headers.cookie, REFRESH_COOKIE);
    if (token !== undefined) this.checkOrigin(request);
    return token;
  }

  /**
   * A cookie rides along with any request to its path, whoever's page made it: a cookie-authenticated
   * call must carry an Origin (browsers always send one on POST) that is the app's own, PUBLIC_URL's or
   * one of CORS_ORIGINS. SameSite=Strict already keeps other sites' requests cookie-less; this also
   * covers sibling subdomains, which count as the same site.
   */
  checkOrigin(request: FastifyRequest): void {
    const origin = request.headers.origin;
    const own = `${request.protocol}://${request.host}`;
    if (!origin || (origin !== own && !this.trustedOrigins.has(origin))) {
      throw new AppError('forbidden', 'A session cookie is only accepted from the ReferLoop app itself (Origin)');
    }
  }

  /** For the web app: sets the refresh cookie and leaves the token out of the body. Others get the body as it is. */
  answer<T extends WithRefreshToken>(request: FastifyRequest, reply: FastifyReply, body: T): T | Omit<T, 'refreshToken'> {
    if (!this.isWebClient(request)) return body;
    const { refreshToken, ...rest } = body;
    void reply.header('set-cookie', this.cookie(request, refreshToken, this.cookieMaxAgeSeconds));
    void reply.header('cache-control', 'no-store');
    return rest;
  }

  /** Ends the cookie (sign-out): an expired one with the same name and path. */
  clear(request: FastifyRequest, reply: FastifyReply): void {
    void reply.header('set-cookie', this.cookie(request, '', 0));
  }

  private cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
    // Secure everywhere but plain http on a loopback address (the local trial), where browsers would refuse it.
    const secure = this.httpsDeployment || request.protocol === 'https' || !LOOPBACK_HOST.test(request.hostname);
    return [
      `${REFRESH_COOKIE}=${value}`,
      `Path=${COOKIE_PATH}`,
      `Max-Age=${maxAgeSeconds}`,
      'HttpOnly',
      'SameSite=Strict',
      ...(secure ? ['Secure'] : []),
    ].join('; ');
  }
}

/** One cookie's value from a Cookie header (the API reads no other cookie, so no parser dependency). */
function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}
