import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ERROR_STATUS } from '@referloop/common';
import { STREAM_COOKIE } from '../auth/web-session';
import { documentLiveness } from '../health/liveness';
import { problemResponse } from './api-problems.decorator';
import { IDEMPOTENT_CREATE_EXTENSION } from './idempotency-key';
import { RESPONSE_HEADERS } from './response-headers';

/** Every tag an operation uses (`@ApiTags`), declared with what it covers. */
const TAGS: Record<string, string> = {
  auth: 'Signing up a clinic, signing in, refreshing and ending sessions, accepting an invitation',
  me: 'The signed-in user',
  clinics: "The caller's clinic",
  practitioners: 'The directory across clinics, and inviting and editing practitioners',
  invitations: "The clinic's practitioner invitations: list, re-send, revoke",
  partners: "A practitioner's and a clinic's saved partners, listed first in the directory",
  patients: "The clinic's patients and their consents",
  referrals: 'Referrals, their actions (the state machine), timeline and attachments',
  notifications: 'The in-app inbox, notification preferences and clinic webhooks',
  admin: 'Clinic admins: metrics, overdue referrals, audit log, failed notifications, export',
  unsubscribe: "A patient's one-click unsubscribe from the emails about their referral (RFC 8058)",
  health: 'Liveness and readiness probes',
  'reference-data': 'Curated vocabularies and the referral state machine',
  events: 'Live updates for the signed-in user (Server-Sent Events)',
};

/** OpenAPI document at /api/docs-json and Swagger UI at /api/docs; `publicUrl` is the deployment's address. */
export function setUpOpenApi(app: NestFastifyApplication, publicUrl: string): void {
  const builder = new DocumentBuilder()
    .setTitle('ReferLoop API')
    .setDescription(
      'Closed-loop referrals between massage therapists and physical therapists. ' +
        'Every error is application/problem+json (RFC 9457) with a stable `code`.',
    )
    .setVersion('1')
    .addServer(publicUrl, 'This deployment')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addCookieAuth(
      STREAM_COOKIE,
      {
        type: 'apiKey',
        in: 'cookie',
        name: STREAM_COOKIE,
        description: "The web app's session for `GET /events` (set with its refresh cookie; httpOnly, Path=/api/v1/events)",
      },
      STREAM_COOKIE,
    );
  for (const [name, description] of Object.entries(TAGS)) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build());
  // Before the liveness route joins: a plain Fastify route, it refuses nothing.
  addProblemsEveryRouteHas(document);
  addResponseHeaders(document);
  nullInNullableEnums(document);
  nullableRefs(document);
  documentLiveness(document);
  summarise(document);
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.Problem = {
    type: 'object',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string', example: 'urn:referloop:problem:validation_failed' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
      instance: { type: 'string' },
      requestId: { type: 'string' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: { field: { type: 'string' }, message: { type: 'string' } },
        },
      },
      currentStatus: { type: 'string', description: "`invalid_transition`: the referral's status now" },
      allowedActions: {
        type: 'array',
        items: { type: 'string' },
        description: '`invalid_transition` and `stale_version`: the actions the caller is offered now',
      },
      currentVersion: { type: 'integer', description: "`stale_version`: the referral's version now" },
      replacementId: { type: 'string', format: 'uuid', description: '`not_redirectable`: the redirect already made' },
      reason: { type: 'string', description: '`unauthenticated` at sign-in: `deactivated` when the account is' },
    },
  };
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}

/**
 * The answers every route can give, whatever its handler declares (docs/api.md, "Errors"): 400 for
 * an unknown query parameter (or a body on a route that takes none), 401 on a route that needs a
 * caller, and 413 and 415 on a route that reads a JSON body (too large; not JSON, or encoded). The
 * unsubscribe link takes any query (mail systems append theirs): it declares its own answers.
 */
function addProblemsEveryRouteHas(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation || operation.tags?.includes('unsubscribe')) continue;
      const add = (status: number, code: string) => {
        if (!operation.responses[status]) operation.responses[status] = problemResponse([code]);
      };
      add(400, 'validation_failed');
      if (operation.security?.some((scheme) => 'bearer' in scheme)) add(401, 'unauthenticated');
      const body = operation.requestBody;
      if (body && 'content' in body && body.content['application/json']) {
        add(413, 'payload_too_large');
        add(415, 'unsupported_media_type');
      }
    }
  }
}

/**
 * The headers of successful answers that follow from what they are (docs/api.md): every answer
 * that is a referral sends its version as `ETag`; a create taking `Idempotency-Key` marks a
 * replayed answer `idempotent-replayed`.
 */
function addResponseHeaders(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      // The marker only steers this pass; it is not part of the published document.
      const idempotent = IDEMPOTENT_CREATE_EXTENSION in operation;
      Reflect.deleteProperty(operation, IDEMPOTENT_CREATE_EXTENSION);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!status.startsWith('2') || !response || '$ref' in response) continue;
        const schema = response.content?.['application/json']?.schema;
        const headers = { ...response.headers };
        if (schema && '$ref' in schema && schema.$ref === '#/components/schemas/ReferralResponseDto')
          headers.ETag = RESPONSE_HEADERS.ETag;
        if (idempotent) headers['idempotent-replayed'] = RESPONSE_HEADERS['idempotent-replayed'];
        if (Object.keys(headers).length) response.headers = headers;
      }
    }
  }
}

/**
 * An enum that may be null (`partner: 'mine' | 'clinic' | null`) lists null among its values: in
 * OpenAPI 3.0 `nullable` does not widen `enum`, so a strict validator refused the null the API sends.
 */
function nullInNullableEnums(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const schema = node as { nullable?: unknown; enum?: unknown[] };
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
  for (const value of Object.values(node)) nullInNullableEnums(value);
}

/**
 * An object that may be null (`licence: LicenceDto | null`) is "that object, or null": Nest writes
 * `{nullable, allOf: [$ref]}`, in which a strict OpenAPI 3.0 validator checks null against the
 * referenced object too, and refuses it.
 */
function nullableRefs(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const schema = node as { nullable?: unknown; type?: unknown; allOf?: unknown[]; anyOf?: unknown[] };
  if (schema.nullable === true && schema.allOf?.length === 1) {
    schema.anyOf = [schema.allOf[0], { nullable: true, enum: [null] }];
    delete schema.allOf;
    delete schema.nullable;
    delete schema.type;
    return;
  }
  for (const value of Object.values(node)) nullableRefs(value);
}

/**
 * An operation's description is its handler's JSDoc (the swagger CLI plugin, `controllerKeyOfComment:
 * description`); its summary, the short line Swagger UI lists, is the description's first sentence.
 */
function summarise(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation?.description || operation.summary) continue;
      const text = operation.description.replace(/\s*\n\s*/g, ' ');
      operation.summary = /^.*?\.(?=\s|$)/.exec(text)?.[0] ?? text;
    }
  }
}
