import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, isClinicAdmin } from '@referloop/common';
import { AuthService } from '@referloop/identity';
import type { FastifyRequest } from 'fastify';
import { ADMIN_ONLY, IS_PUBLIC, requestClientOf, STREAM_COOKIE_AUTH } from './auth.decorators';
import { WebSession } from './web-session';

/** What a route asks of its caller, read from its decorators. */
interface RouteAccess {
  isPublic: boolean;
  adminOnly: boolean;
  streamCookie: boolean;
}

/**
 * Global guard: every route needs a valid bearer token unless marked @Public();
 * @AdminOnly() narrows it to the clinic's admins; @StreamCookieAuth() also takes the web app's
 * events cookie when no Authorization header is sent. The caller is put on the request
 * (`@CurrentPrincipal()`), with the request's client for the audit rows it causes.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  /** Per controller class and handler: decorators do not change after start-up, so they are read once, not per request. */
  private readonly access = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly webSession: WebSession,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { isPublic, adminOnly, streamCookie } = this.routeAccess(context);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const streamToken = header === undefined && streamCookie ? this.webSession.streamCookieToken(request) : undefined;
    const client = requestClientOf(request);
    let principal;
    if (streamToken !== undefined) {
      principal = await this.auth.authenticateStream(streamToken, client);
    } else {
      const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9\-_.]+)$/i.exec(header) : null;
      if (!match) throw new AppError('unauthenticated', 'Send an access token as "Authorization: Bearer <token>"');
      principal = await this.auth.authenticate(match[1], client);
    }
    request.principal = principal;

    if (adminOnly && !isClinicAdmin(principal)) {
      throw new AppError('forbidden', 'This action is for admins of the clinic');
    }
    return true;
  }

  private routeAccess(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    const controller = context.getClass();
    let handlers = this.access.get(controller);
    if (!handlers) {
      handlers = new WeakMap();
      this.access.set(controller, handlers);
    }
    let access = handlers.get(handler);
    if (!access) {
      const targets = [handler, controller];
      access = {
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets) === true,
        adminOnly: this.reflector.getAllAndOverride<boolean | undefined>(ADMIN_ONLY, targets) === true,
        streamCookie: this.reflector.getAllAndOverride<boolean | undefined>(STREAM_COOKIE_AUTH, targets) === true,
      };
      handlers.set(handler, access);
    }
    return access;
  }
}
