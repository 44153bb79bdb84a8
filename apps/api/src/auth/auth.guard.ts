import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, RequestContext, type Role } from '@referloop/common';
import { AuthService } from '@referloop/identity';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC, REQUIRED_ROLES } from './auth.decorators';

/**
 * Global guard: every route needs a valid bearer token unless marked @Public();
 * @Roles() narrows who may call it. The caller is put in the request context for tenant scoping.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header) : null;
    if (!match) throw new AppError('unauthenticated', 'Send an access token as "Authorization: Bearer <token>"');
    const principal = await this.auth.authenticate(match[1]);
    RequestContext.setPrincipal(principal);

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new AppError('forbidden', `This action needs the role ${roles.join(' or ')}`);
    }
    return true;
  }
}
