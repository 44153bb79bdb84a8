import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { AppError } from '@referloop/common';
import type { FastifyRequest } from 'fastify';

/** Nest's key prefixes of `@Body()` and `@Query()` arguments in a route's argument metadata (`RouteParamtypes`, which its index does not export). */
const BODY_ARGUMENT = '3:';
const QUERY_ARGUMENT = '4:';
const MULTIPART_BODY = 'referloop:multipartBody';

/** The route reads a multipart body from the request itself (and answers 415 to anything else). */
export const MultipartBody = (): MethodDecorator => SetMetadata(MULTIPART_BODY, true);

const ANY_QUERY = 'referloop:anyQuery';

/**
 * The routes take any query parameters and read none: a link in an email (unsubscribe) must work
 * when a mail system appends tracking parameters to it.
 */
export const AnyQuery = (): ClassDecorator & MethodDecorator => SetMetadata(ANY_QUERY, true);

/** What a route declares it reads besides its path: a body, and which query parameters (`all` for a whole query DTO, which validates its own). */
interface DeclaredInput {
  body: boolean;
  query: 'all' | ReadonlySet<string>;
}

/**
 * Global guard: unknown input is refused with 400 naming it, as the DTOs refuse fields they do not
 * know ("unknown fields are rejected, never silently ignored"). A route that declares no `@Body()`
 * (nor a `@MultipartBody()`) takes no body: an empty body or `{}` is fine, fields are not. A route
 * without a `@Query()` DTO takes only the query parameters it names (none for most).
 */
@Injectable()
export class DeclaredInputGuard implements CanActivate {
  /** Per handler: read once, not per request. */
  private readonly declared = new WeakMap<object, DeclaredInput>();

  canActivate(context: ExecutionContext): boolean {
    const declared = this.routeInput(context);
    const { body, query } = context.switchToHttp().getRequest<FastifyRequest>();
    const unknown = [...this.unknownBodyFields(declared, body), ...this.unknownQueryParameters(declared, query)];
    if (unknown.length === 0) return true;
    throw AppError.validation(unknown);
  }

  private unknownBodyFields(declared: DeclaredInput, body: unknown): { field: string; message: string }[] {
    if (declared.body || body === undefined || body === null) return [];
    const fields = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : ['body'];
    return fields.map((field) => ({ field, message: 'is not accepted: this request takes no body' }));
  }

  private unknownQueryParameters(declared: DeclaredInput, query: unknown): { field: string; message: string }[] {
    if (declared.query === 'all' || typeof query !== 'object' || query === null) return [];
    const known = declared.query;
    return Object.keys(query)
      .filter((name) => !known.has(name))
      .map((field) => ({ field, message: 'is not a query parameter of this request' }));
  }

  private routeInput(context: ExecutionContext): DeclaredInput {
    const handler = context.getHandler();
    let declared = this.declared.get(handler);
    if (declared === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<
        string,
        { data?: unknown }
      >;
      const entries = Object.entries(args);
      const queries = entries.filter(([key]) => key.startsWith(QUERY_ARGUMENT)).map(([, arg]) => arg.data);
      const anyQuery =
        Reflect.getMetadata(ANY_QUERY, handler) === true || Reflect.getMetadata(ANY_QUERY, context.getClass()) === true;
      declared = {
        body: entries.some(([key]) => key.startsWith(BODY_ARGUMENT)) || Reflect.getMetadata(MULTIPART_BODY, handler) === true,
        // `@Query()` takes the whole query (its DTO refuses what it does not know); `@Query('name')` one parameter.
        query:
          anyQuery || queries.some((data) => typeof data !== 'string')
            ? 'all'
            : new Set(queries.filter((data): data is string => typeof data === 'string')),
      };
      this.declared.set(handler, declared);
    }
    return declared;
  }
}
