import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { AppError } from '@referloop/common';
import type { FastifyRequest } from 'fastify';

/** Nest's key prefix for a `@Body()` argument in a route's argument metadata (`RouteParamtypes.BODY`, which its index does not export). */
const BODY_ARGUMENT = '3:';
const MULTIPART_BODY = 'referloop:multipartBody';

/** The route reads a multipart body from the request itself (and answers 415 to anything else). */
export const MultipartBody = (): MethodDecorator => SetMetadata(MULTIPART_BODY, true);

/**
 * Global guard: a route that declares no `@Body()` (nor a `@MultipartBody()`) takes no body, so a body with fields is refused
 * with 400 naming them, as the DTOs of every other route refuse fields they do not know ("unknown
 * fields are rejected, never silently ignored"). An empty body or `{}` is fine.
 */
@Injectable()
export class BodylessRouteGuard implements CanActivate {
  /** Per controller class and handler: read once, not per request. */
  private readonly takesBody = new WeakMap<object, boolean>();

  canActivate(context: ExecutionContext): boolean {
    if (this.routeTakesBody(context)) return true;
    const { body } = context.switchToHttp().getRequest<FastifyRequest>();
    if (body === undefined || body === null) return true;
    const fields = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : ['body'];
    if (fields.length === 0) return true;
    throw AppError.validation(fields.map((field) => ({ field, message: 'is not accepted: this request takes no body' })));
  }

  private routeTakesBody(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let takes = this.takesBody.get(handler);
    if (takes === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, unknown>;
      takes =
        Object.keys(args).some((key) => key.startsWith(BODY_ARGUMENT)) || Reflect.getMetadata(MULTIPART_BODY, handler) === true;
      this.takesBody.set(handler, takes);
    }
    return takes;
  }
}
