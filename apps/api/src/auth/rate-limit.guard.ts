import { createHmac } from 'node:crypto';
import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, PinoNestLogger } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { derivedKey } from '@referloop/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProcessRateLimitCounters, RateLimitStore, type RateLimitWindow } from '../http/rate-limit.store';
import { canonicalEmail } from '../http/validators';

const WINDOW_MS = 60_000;

/** How a route is limited, beyond the defaults (see {@link RateLimited}). */
interface RateLimitOptions {
  /** The route takes this many times AUTH_RATE_LIMIT_PER_MINUTE per IP (default 1). */
  perIpMultiple?: number;
}

const RATE_LIMIT_OPTIONS = 'referloop:rate-limit';

/**
 * The account a request is about, from its body as sent (`email`, or `admin.email` when
 * registering a clinic), normalised; undefined when it names none. Guards run before validation,
 * so the body is untrusted JSON here.
 */
export function accountOf(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const record = body as { email?: unknown; admin?: { email?: unknown } | null };
  const email =
    typeof record.email === 'string' ? record.email : typeof record.admin?.email === 'string' ? record.admin.email : undefined;
  if (email === undefined || email.length > 254) return undefined;
  // As the DTO will spell it: "josé" composed or not, a Unicode or an xn-- domain, is one account.
  return canonicalEmail(email.trim()).toLowerCase();
}

/**
 * Limits an auth route to AUTH_RATE_LIMIT_PER_MINUTE attempts per client IP (as seen through
 * TRUST_PROXY) and per account (named in the body, or the signed-in caller on a route that checks
 * their password again), each counted per route in a one-minute window
 * shared by every replica. Over either: 429 `rate_limited` with `retry-after`. While the shared
 * counter store cannot be reached, this process counts on its own (logged): sign-in stays up
 * while Redis is down, and so do the limits.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly processCounters = new ProcessRateLimitCounters();
  /** Keyed: a plain hash of an address is undone by hashing guesses (a patient's address typed into sign-in). */
  private readonly accountKey: Buffer;

  constructor(
    private readonly store: RateLimitStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.accountKey = derivedKey(config.jwt.secret, 'rate limit accounts v1');
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const route = `${context.getClass().name}.${context.getHandler().name}`;
    const keys = [`${route}:ip:${request.ip}`];
    const account = accountOf(request.body) ?? (request.principal ? `user ${request.principal.userId}` : undefined);
    // Hashed with a key: counters name no one.
    if (account) keys.push(`${route}:account:${createHmac('sha256', this.accountKey).update(account).digest('hex')}`);

    let windows: RateLimitWindow[];
    try {
      windows = await Promise.all(keys.map((key) => this.store.hit(key, WINDOW_MS)));
    } catch (error) {
      // On the request's logger: the line carries the request id.
      new PinoNestLogger(request.log).warn(
        `rate-limit counters unavailable, counted in this process only: ${(error as Error).message}`,
        'RateLimit',
      );
      windows = keys.map((key) => this.processCounters.hit(key, WINDOW_MS));
    }
    const options = this.reflector.get<RateLimitOptions | undefined>(RATE_LIMIT_OPTIONS, context.getHandler());
    const limit = this.config.authRateLimitPerMinute;
    // keys[0] is the IP's.
    const over = windows.filter((w, i) => w.hits > (i === 0 ? limit * (options?.perIpMultiple ?? 1) : limit));
    if (over.length === 0) return true;
    const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(...over.map((w) => w.resetInMs)) / 1000));
    void http.getResponse<FastifyReply>().header('retry-after', String(retryAfterSeconds));
    throw new AppError('rate_limited', 'Too many attempts; wait a minute and try again');
  }
}

/** The route is rate limited per IP and per account (see {@link RateLimitGuard}). */
export const RateLimited = (options: RateLimitOptions = {}) =>
  applyDecorators(SetMetadata(RATE_LIMIT_OPTIONS, options), UseGuards(RateLimitGuard));
