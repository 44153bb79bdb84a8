import { Inject, Injectable } from '@nestjs/common';
import { AppError, Clock } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { AuthService } from '@referloop/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The web app sends this header (value `web`) to get its refresh token as a cookie instead of in the body. */
export const WEB_CLIENT_HEADER = 'x-referloop-client';
export const REFRESH_COOKIE = 'referloop_refresh';
/** Only the auth routes ever receive the cookie. */
const COOKIE_PATH = '/api/v1/auth';
/**
 * The live updates stream's cookie: a token naming the same session (not the refresh token), sent
 * only to `GET /api/v1/events`, since browsers' EventSource sends no Authorization header.
 */
export const STREAM_COOKIE = 'referloop_events';
const STREAM_COOKIE_PATH = '/api/v1/events';
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|.+\.localhost)$/i;

interface WithTokens {
  accessToken: string;
  refreshToken: string;
  /** When the refresh token expires (never after the session's end); never sent in a body. */
  refreshExpiresAt: Date;
}

/**
 * The web app's session: its refresh token lives in an httpOnly, SameSite=Strict cookie scoped to
 * /api/v1/auth, so page scripts never see a long-lived token; the short-lived access token stays in
 * the page's memory. A second such cookie, scoped to /api/v1/events, carries a stream token of the
 * same session (set, rotated and cleared with the first). API clients (no header) keep the body tokens.
 */
@Injectable()
export class WebSession {
  private readonly trustedOrigins: ReadonlySet<string>;
  private readonly httpsDeployment: boolean;
  /** No cookie lives longer than a refresh token or a session could (the server checks the real expiry). */
  private readonly cookieMaxAgeSeconds: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly clock: Clock,
  ) {
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
   * The stream token from the events cookie. A browser's EventSource sends no Origin to its own
   * origin, so the Origin check applies when there is one (a cross-origin page's request).
   */
  streamCookieToken(request: FastifyRequest): string | undefined {
    const token = readCookie(request.headers.cookie, STREAM_COOKIE);
    if (token !== undefined && request.headers.origin !== undefined) this.checkOrigin(request);
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

  /**
   * For the web app: sets the refresh cookie and leaves the token out of the body. Others get the
   * body as it is (less `refreshExpiresAt`, which no body carries). `fromCookie`: the request was
   * authenticated by the refresh cookie, so the new token goes back only as the cookie, header or
   * not: a page script must not be able to trade the httpOnly cookie for a token it can read by
   * leaving the header out.
   */
  answer<T extends WithTokens>(
    request: FastifyRequest,
    reply: FastifyReply,
    signedIn: T,
    fromCookie = false,
  ): Omit<T, 'refreshExpiresAt'> | Omit<Omit<T, 'refreshExpiresAt'>, 'refreshToken'> {
    const { refreshExpiresAt, ...body } = signedIn;
    if (!fromCookie && !this.isWebClient(request)) return body;
    const { refreshToken, ...rest } = body;
    const maxAge = this.cookieMaxAge(refreshExpiresAt);
    void reply.header('set-cookie', [
      this.cookie(request, REFRESH_COOKIE, COOKIE_PATH, refreshToken, maxAge),
      this.cookie(request, STREAM_COOKIE, STREAM_COOKIE_PATH, this.auth.streamToken(body.accessToken, refreshExpiresAt), maxAge),
    ]);
    void reply.header('cache-control', 'no-store');
    return rest;
  }

  /**
   * The cookies' Max-Age: as long as their refresh token works, which is never past the session's
   * end, so a refresh near that end gives cookies of the time left, not a full lifetime again.
   */
  private cookieMaxAge(refreshExpiresAt: Date): number {
    const left = Math.floor((refreshExpiresAt.getTime() - this.clock.now().getTime()) / 1000);
    return Math.max(0, Math.min(this.cookieMaxAgeSeconds, left));
  }

  /** Ends both cookies (sign-out): expired ones with the same names and paths. */
  clear(request: FastifyRequest, reply: FastifyReply): void {
    void reply.header('set-cookie', [
      this.cookie(request, REFRESH_COOKIE, COOKIE_PATH, '', 0),
      this.cookie(request, STREAM_COOKIE, STREAM_COOKIE_PATH, '', 0),
    ]);
  }

  private cookie(request: FastifyRequest, name: string, path: string, value: string, maxAgeSeconds: number): string {
    // Secure everywhere but plain http on a loopback address (the local trial), where browsers would refuse it.
    const secure = this.httpsDeployment || request.protocol === 'https' || !LOOPBACK_HOST.test(request.hostname);
    return [
      `${name}=${value}`,
      `Path=${path}`,
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
