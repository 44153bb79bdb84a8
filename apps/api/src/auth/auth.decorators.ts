import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Principal, RequestClient } from '@referloop/common';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in caller, set by the auth guard (undefined on public routes). */
    principal?: Principal;
  }
}

export const IS_PUBLIC = 'referloop:public';
export const ADMIN_ONLY = 'referloop:admin-only';
export const STREAM_COOKIE_AUTH = 'referloop:stream-cookie';

/** The route needs no access token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Besides the bearer token, the web app's events cookie authenticates the route (`GET /events` only). */
export const StreamCookieAuth = () => SetMetadata(STREAM_COOKIE_AUTH, true);

/** Only an admin of the caller's clinic may call the route (others get 403). */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const { principal } = ctx.switchToHttp().getRequest<FastifyRequest>();
  // Code that needs a tenant must never run without one (a route marked @Public() has no caller).
  if (!principal) throw new Error('@CurrentPrincipal() on a route without a signed-in caller');
  return principal;
});

/** Who sent the request (its id, address and user agent), for routes used before signing in. */
export function requestClientOf(request: FastifyRequest): RequestClient {
  return { requestId: String(request.id), ip: request.ip, userAgent: request.headers['user-agent']?.slice(0, 300) };
}
