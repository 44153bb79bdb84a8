import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { type Principal, RequestContext } from '@referloop/common';

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
export const CurrentPrincipal = createParamDecorator((_data: unknown, _ctx: ExecutionContext): Principal =>
  RequestContext.principal(),
);
