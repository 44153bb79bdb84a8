import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  addRouteWords,
  AppError,
  DeferredChildLogger,
  PinoNestLogger,
  REFERRAL_ACTIONS,
  routePatternWords,
} from '@referloop/common';
import type { AppConfig } from '@referloop/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiModule } from '../api.module';
import { addLivenessRoute } from '../health/liveness';
import { setUpOpenApi } from './openapi';
import { unsupportedMediaType } from './problem';
import { answerClientError, answerConnectMethod, answerUnmetExpectation, sendProblem } from './problem.filter';
import { mountQueueDashboard } from './queue-dashboard';
import { addSecurityHeaders } from './security-headers';
import { AccessLog } from './access-log';
import { ClosingAwareFastifyAdapter, refuseWhileClosing } from './closing';
import { addJsonBodyParser } from './json-body-parser';
import { addOneClickUnsubscribeParser, ONE_CLICK_ROUTE, readOneClickMultipart } from './one-click-parser';
import { discardBody } from './multipart';
import { limitPipelining } from './pipelining';
import { leaveForUpload } from './uploaded-file';
import { mountTrialMailbox } from './trial-mailbox';
import { serveWebApp } from './web-app';

export const API_PREFIX = 'api/v1';
/** JSON bodies above this are refused with 413 (attachments use multipart with their own limit). */
export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;
const REQUEST_TIMEOUT_MS = 120_000;
const IDENTITY = /^\s*identity\s*$/i;
/** The one transfer coding a request body may carry: Node takes chunked apart, and no other (gzip, deflate, …) is decoded. */
const CHUNKED = /^\s*chunked\s*$/i;
/**
 * Headers a request must send at most once. Node keeps the first Host, Authorization or
 * Content-Type and drops the others unseen (a proxy in front may have read another), and joins
 * repeated Idempotency-Key or If-Match lines into one value that no longer says what was meant.
 */
const SINGLE_HEADERS: Record<string, string> = {
  host: 'Host',
  authorization: 'Authorization',
  'content-type': 'Content-Type',
  'idempotency-key': 'Idempotency-Key',
  'if-match': 'If-Match',
};

/** The first header of {@link SINGLE_HEADERS} that `rawHeaders` (name, value, name, value, …) repeats. */
export function repeatedHeader(rawHeaders: string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const canonical = SINGLE_HEADERS[name];
    if (canonical === undefined) continue;
    if (seen.has(name)) return canonical;
    seen.add(name);
  }
  return undefined;
}
/** Longer than any id or token the API takes in a path (UUIDs, 64-character unsubscribe tokens). */
const MAX_PARAM_LENGTH = 500;
/** The one route whose body is multipart (../referrals/referrals.controller.ts, uploadedFile). */
const ATTACHMENT_UPLOAD_ROUTE = `/${API_PREFIX}/referrals/:id/attachments`;

/**
 * Fastify's `trustProxy` for TRUST_PROXY. Fastify refuses a bare hop count (it cannot tell the
 * load balancer from a client that connects directly and adds hops of its own), so a count becomes
 * "trust the nearest N addresses": right only when clients cannot reach the API except through
 * those proxies. A list of proxy addresses/CIDRs is checked address by address.
 */
function trustProxyOption(trustProxy: AppConfig['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trustProxy !== 'number') return trustProxy;
  return (_address, hop) => hop < trustProxy;
}

const PREFIXED_HEALTH = `/${API_PREFIX}/health/`;

/**
 * The health probes live at /health/… (where load balancers and orchestrators look) and answer
 * under the API's prefix as well, since clients find them listed with the API's routes.
 */
function healthUnderApiPrefix(request: IncomingMessage): string {
  const url = request.url ?? '/';
  return url.startsWith(PREFIXED_HEALTH) ? url.slice(API_PREFIX.length + 1) : url;
}

/** Builds the API application exactly as production runs it; used by main, tests and benchmarks. */
export async function createApiApp(config: AppConfig, logger: Logger): Promise<NestFastifyApplication> {
  const adapter = new ClosingAwareFastifyAdapter({
    loggerInstance: logger,
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    // request.ip is the client's only through the proxies TRUST_PROXY names; X-Forwarded-For is ignored otherwise.
    trustProxy: trustProxyOption(config.trustProxy),
    // A request without Host reaches the onRequest hook below, to be answered 400 as a problem
    // (Node's own refusal is a bare 400 with no body).
    http: { requireHostHeader: false },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Answered by refuseWhileClosing, as a problem and from the start of app.close().
    return503OnClosing: false,
    // A request whose body stops arriving is answered 408 and its connection closed, instead of
    // holding the connection, and what it sent, for as long as the client likes. Long enough for
    // a 10 MB attachment over a slow line.
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Past Fastify's 100 characters, a long id or token answered 414 or a bare 404 instead of "not a UUID".
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    rewriteUrl: healthUnderApiPrefix,
    logController: new AccessLog(logger),
    // So are the requests Node itself refuses (headers too large, a malformed request line).
    clientErrorHandler: answerClientError,
    // Errors Fastify raises before routing (a malformed URL) are problems like any other.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      void reply.header('x-request-id', request.id);
      sendProblem(request, reply, error);
    },
    // Keep a caller's request id when it looks like one, so logs correlate across services.
    genReqId: (request: IncomingMessage) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });
  const fastify = adapter.getInstance();
  // The words a logged path may show (the rest is redacted): every route's, and the referral
  // actions, which arrive as a parameter (`/referrals/:id/:action`).
  fastify.addHook('onRoute', (route) => addRouteWords(routePatternWords(route.url)));
  addRouteWords(REFERRAL_ACTIONS);
  // An Expect other than 100-continue: a 417 problem instead of Node's bare 417.
  fastify.server.on('checkExpectation', answerUnmetExpectation);
  // CONNECT never reaches the router: Node would close the connection unanswered.
  fastify.server.on('connect', answerConnectMethod);
  // Each request's logger binds its id; built only if the request writes a line.
  fastify.setChildLoggerFactory((parent, bindings, options) => new DeferredChildLogger(parent as Logger, bindings, options));
  // JSON only: any other content type is a 415 problem, not a string handed to validation.
  fastify.removeContentTypeParser(['text/plain']);
  addJsonBodyParser(fastify, JSON_BODY_LIMIT_BYTES);
  addOneClickUnsubscribeParser(fastify);
  addSecurityHeaders(fastify, config.publicUrl.startsWith('https:'), `/${API_PREFIX}/`);
  refuseWhileClosing(fastify, adapter);
  limitPipelining(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    const { headers, raw } = request;
    // RFC 9112 §3.2: an HTTP/1.1 request names its Host, once.
    if (headers.host === undefined && raw.httpVersionMajor === 1 && raw.httpVersionMinor >= 1) {
      sendProblem(request, reply, AppError.validation([{ field: 'Host', message: 'is required' }]));
      return;
    }
    const repeated = repeatedHeader(raw.rawHeaders);
    if (repeated !== undefined) {
      sendProblem(request, reply, AppError.validation([{ field: repeated, message: 'must be sent once' }]));
      return;
    }
    // Node takes chunked apart and nothing else: a body sent gzip (or any other coding) would be read as if it were plain.
    const transferEncoding = headers['transfer-encoding'];
    if (transferEncoding !== undefined && !CHUNKED.test(transferEncoding)) {
      sendProblem(
        request,
        reply,
        unsupportedMediaType('Transfer-Encoding', 'Send the body without a transfer coding other than chunked'),
      );
      return;
    }
    // No body, whatever its Content-Type says (some clients label every POST): nothing to parse or refuse.
    if (
      headers['content-type'] !== undefined &&
      headers['transfer-encoding'] === undefined &&
      !Number(headers['content-length'])
    ) {
      delete headers['content-type'];
    }
    // No body is decoded (gzip or otherwise): one sent encoded would be read as if it were plain (RFC 9110 §8.4.1).
    const encoding = headers['content-encoding'];
    if (encoding !== undefined && !IDENTITY.test(encoding)) {
      sendProblem(request, reply, unsupportedMediaType('Content-Encoding', 'Send the body without a Content-Encoding'));
      return;
    }
    done();
  });
  // multipart/form-data: the upload route reads its body itself (uploadedFile), the unsubscribe form
  // is read here. Any other route sent multipart would see no body at all (a PATCH answered 200
  // having changed nothing): refused like any non-JSON body. (A parser of our own, not
  // @fastify/multipart, whose two async hooks ran on every request for a disk mode nothing uses.)
  fastify.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    const route = request.routeOptions.url;
    if (route === ATTACHMENT_UPLOAD_ROUTE) {
      leaveForUpload(request);
      done(null, undefined);
    } else if (route === ONE_CLICK_ROUTE) {
      readOneClickMultipart(payload).then((form) => done(null, form), done);
    } else if (request.is404) {
      // No such route or method: its 404, whatever the body.
      discardBody(payload, () => done(null, undefined));
    } else {
      discardBody(payload, () => done(unsupportedMediaType('Content-Type', 'Send the body as application/json'), undefined));
    }
  });
  // Set by the auth guard on the routes that need a caller (../auth/auth.decorators.ts).
  fastify.decorateRequest('principal', undefined);

  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // Nest's own parsers would add application/x-www-form-urlencoded (a form post needs no CORS
    // preflight); Fastify's built-in JSON parser, with the limits above, is the only one.
    bodyParser: false,
  });
  // No CORS_ORIGINS, no CORS at all: the plugin with no origin answers nothing a browser could use
  // (a preflight is a 404 either way) and cost every request a hook.
  if (config.corsOrigins.length > 0) {
    app.enableCors({ origin: config.corsOrigins, exposedHeaders: ['x-request-id', 'retry-after'], maxAge: 600 });
  }
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [{ path: 'health/ready', method: RequestMethod.GET }],
  });
  addLivenessRoute(fastify);
  setUpOpenApi(app, config.publicUrl);
  await mountQueueDashboard(app, config, logger);
  mountTrialMailbox(app, config);
  // The browser app (dist/web) at / with client-side routes; the API alone when it is not built.
  await serveWebApp(app, logger);
  await app.init();
  return app;
}
