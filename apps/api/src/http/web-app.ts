import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { addRouteWords } from '@referloop/common';
import type { Logger } from 'pino';

/**
 * Where `npm run build` writes the browser app (vite → dist/web), seen from this file compiled
 * (dist/apps/api/apps/api/src/http) and from its source (apps/api/src/http, as tests run it).
 */
export const WEB_ROOT_CANDIDATES = [resolve(__dirname, '../../../../../../web'), resolve(__dirname, '../../../../dist/web')];

/**
 * The server's own paths: never answered with the app, so an unknown one keeps its problem+json 404
 * (/trial is the trial mailbox's, which does not exist outside the embedded trial).
 */
const API_PATH = /^\/(?:api|health|trial)(?:\/|$)/;
/** A path whose last segment looks like a file name (`/assets/x.js`): a missing file is a 404, not the app. */
const FILE_PATH = /\/[^/]*\.[A-Za-z0-9]+$/;

/**
 * The words the web app's screens are spelled with (apps/web/src/App.tsx and its pages), so their
 * paths are logged as they are; a word missing here is only redacted in the access log.
 */
export const WEB_APP_ROUTE_WORDS = [
  'accept-invitation',
  'forgot-password',
  'reset-password',
  'sign-in',
  'sign-up',
  'referrals',
  'new',
  'patients',
  'settings',
  'profile',
  'security',
  'admin',
  'overdue',
  'practitioners',
  'partners',
  'unowned',
  'notifications',
  'webhooks',
  'email-preview',
  'audit',
] as const;

export function findWebRoot(candidates: readonly string[] = WEB_ROOT_CANDIDATES): string | undefined {
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/**
 * Serves the built web app at `/`: its files (hashed assets cached for a year, the rest
 * revalidated) and index.html for every other GET outside /api and /health, so client routes
 * such as /referrals/:id or /accept-invitation#token=… load the app. Without a build, logs a
 * warning and leaves the API as it is.
 */
export async function serveWebApp(app: NestFastifyApplication, logger: Logger, root = findWebRoot()): Promise<void> {
  if (!root) {
    logger.warn(
      { looked: WEB_ROOT_CANDIDATES },
      'web app not built (no dist/web/index.html): serving the API only; run `npm run build`',
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, so any other path falls through to the app route below.
    wildcard: false,
    index: false,
    setHeaders: (reply: FastifyReply, path: string) => {
      void reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const sendApp = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    if (API_PATH.test(path) || FILE_PATH.test(path)) return reply.callNotFound();
    return reply.sendFile('index.html', root);
  };
  const fastify = app.getHttpAdapter().getInstance();
  addRouteWords(WEB_APP_ROUTE_WORDS);
  fastify.get('/', sendApp);
  fastify.get('/*', sendApp);
  logger.debug({ root }, 'serving the web app at /');
}
