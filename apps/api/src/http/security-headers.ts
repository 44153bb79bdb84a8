import type { FastifyInstance } from 'fastify';
import { QUEUE_DASHBOARD_PATH } from './queue-dashboard';

/**
 * Which security headers a path gets: `api` for the API's answers (under the API prefix, and the
 * health checks), `bundled-tool` for the pages of the tools the API mounts (Swagger UI at
 * /api/docs, the queue dashboard), `strict` for the web app and everything else.
 */
export type HeaderProfile = 'strict' | 'bundled-tool' | 'api';

const TOOL_PATHS = ['/api/docs', QUEUE_DASHBOARD_PATH];
const HEALTH_PATH = '/health/';

export function headerProfileFor(url: string, apiPath: string): HeaderProfile {
  const path = url.split('?', 1)[0];
  if (path.startsWith(apiPath) || path.startsWith(HEALTH_PATH)) return 'api';
  return TOOL_PATHS.some((tool) => path === tool || path.startsWith(`${tool}/`)) ? 'bundled-tool' : 'strict';
}

/**
 * Scripts and styles from the app's own files only, no inline code of any kind. (The app's few
 * React `style={…}` values are set through the CSSOM, which CSP does not govern; its markup
 * carries no style attribute.)
 */
const STRICT = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
];

/** Swagger UI's and bull-board's pages carry inline styles; their scripts are files, so scripts stay strict. */
const BUNDLED_TOOL = [...STRICT.filter((d) => !d.startsWith('style-src')), "style-src 'self' 'unsafe-inline'"];

/**
 * An API answer loads nothing and is framed by nobody. Its one page (the unsubscribe form, plain
 * HTML) posts only to its own origin.
 */
const API = ["default-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"];

const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * The security headers of a page (helmet's set), per profile. Computed once: @fastify/helmet
 * rebuilt them, CSP parsing included, on every request, a tenth of a small request's CPU.
 */
export function securityHeaders(httpsOnly: boolean, profile: HeaderProfile = 'strict'): Record<string, string> {
  if (profile === 'api') return apiHeaders();
  const directives = profile === 'strict' ? STRICT : BUNDLED_TOOL;
  // Only when served over https: on plain http it would make browsers fetch the app's scripts over https.
  const csp = [...directives, ...(httpsOnly ? ['upgrade-insecure-requests'] : [])].join(';');
  return {
    'content-security-policy': csp,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': HSTS,
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'SAMEORIGIN',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };
}

/**
 * The headers that govern an API answer (OWASP's REST security guidance): nothing may run in,
 * frame, sniff or read it across origins, it leaks no referrer (the unsubscribe page's address
 * holds its token), and no browser or proxy keeps it: it carries patient data (a route that allows
 * caching sets its own header). helmet's other headers govern documents a browser navigates to
 * (opener and agent clusters, DNS prefetch, legacy IE and Flash switches); each costs every answer.
 */
function apiHeaders(): Record<string, string> {
  return {
    'content-security-policy': API.join(';'),
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': HSTS,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
}

/** Sets the headers of its profile on every answer, errors and 404s included. */
export function addSecurityHeaders(fastify: FastifyInstance, httpsOnly: boolean, apiPath: string): void {
  const byProfile: Record<HeaderProfile, Record<string, string>> = {
    strict: securityHeaders(httpsOnly, 'strict'),
    'bundled-tool': securityHeaders(httpsOnly, 'bundled-tool'),
    api: securityHeaders(httpsOnly, 'api'),
  };
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(byProfile[headerProfileFor(request.url, apiPath)]);
    done();
  });
}
