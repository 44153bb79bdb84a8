import type { FastifyInstance } from 'fastify';
import { QUEUE_DASHBOARD_PATH } from './queue-dashboard';

/**
 * Which Content-Security-Policy a path gets: `strict` for the web app and the API, `bundled-tool`
 * for the pages of the tools the API mounts (Swagger UI at /api/docs, the queue dashboard).
 */
export type CspProfile = 'strict' | 'bundled-tool';

const TOOL_PATHS = ['/api/docs', QUEUE_DASHBOARD_PATH];

export function cspProfileFor(url: string): CspProfile {
  const path = url.split('?', 1)[0];
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
 * The security headers every answer carries (helmet's set), per CSP profile. Computed once:
 * @fastify/helmet rebuilt them, CSP parsing included, on every request, a tenth of a small request's CPU.
 */
export function securityHeaders(httpsOnly: boolean, profile: CspProfile = 'strict'): Record<string, string> {
  const directives = profile === 'strict' ? STRICT : BUNDLED_TOOL;
  // Only when served over https: on plain http it would make browsers fetch the app's scripts over https.
  const csp = [...directives, ...(httpsOnly ? ['upgrade-insecure-requests'] : [])].join(';');
  return {
    'content-security-policy': csp,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'SAMEORIGIN',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };
}

/**
 * Sets the headers on every answer, errors and 404s included. API answers also say `no-store`:
 * they carry patient data, which must not stay in a browser's or a proxy's cache (a route that
 * allows caching sets its own header).
 */
export function addSecurityHeaders(fastify: FastifyInstance, httpsOnly: boolean, apiPath: string): void {
  const byProfile: Record<CspProfile, Record<string, string>> = {
    strict: securityHeaders(httpsOnly, 'strict'),
    'bundled-tool': securityHeaders(httpsOnly, 'bundled-tool'),
  };
  const apiAnswer = { ...byProfile.strict, 'cache-control': 'no-store' };
  fastify.addHook('onRequest', (request, reply, done) => {
    const profile = cspProfileFor(request.url);
    void reply.headers(profile === 'strict' && request.url.startsWith(apiPath) ? apiAnswer : byProfile[profile]);
    done();
  });
}
