import type { FastifyInstance } from 'fastify';
import { QUEUE_DASHBOARD_PATH } from './queue-dashboard';

/** Which Content-Security-Policy a path gets. */
export type CspProfile = 'strict' | 'operator-dashboard' | 'swagger-ui';

const SWAGGER_UI = /^\/api\/docs(?:\/|$|\?)/;

export function cspProfileFor(url: string): CspProfile {
  if (SWAGGER_UI.test(url)) return 'swagger-ui';
  if (url === QUEUE_DASHBOARD_PATH || url.startsWith(`${QUEUE_DASHBOARD_PATH}/`) || url.startsWith(`${QUEUE_DASHBOARD_PATH}?`)) {
    return 'operator-dashboard';
  }
  return 'strict';
}

/**
 * The web app and the API: scripts and styles from the app's own files only, no inline code of
 * any kind. (The app's few React `style={…}` values are set through the CSSOM, which CSP does not
 * govern; markup carries no style attribute.)
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

const OTHER_PAGES: Record<Exclude<CspProfile, 'strict'>, string[]> = {
  // bull-board: its page styles its loading screen inline; its scripts are files.
  'operator-dashboard': [...STRICT.filter((d) => !d.startsWith('style-src')), "style-src 'self' 'unsafe-inline'"],
  // Swagger UI's page carries inline styles and builds styles at run time; kept apart from the app.
  'swagger-ui': [
    "default-src 'self'",
    "base-uri 'self'",
    "font-src 'self' https: data:",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self' 'unsafe-inline'",
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
  ],
};

/**
 * The security headers every answer carries (helmet's set), per CSP profile. Computed once:
 * @fastify/helmet rebuilt them, CSP parsing included, on every request, a tenth of a small request's CPU.
 */
export function securityHeaders(httpsOnly: boolean, profile: CspProfile = 'strict'): Record<string, string> {
  const directives = profile === 'strict' ? STRICT : OTHER_PAGES[profile];
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

/** Sets the headers on every answer, errors and 404s included. */
export function addSecurityHeaders(fastify: FastifyInstance, httpsOnly: boolean): void {
  const byProfile: Record<CspProfile, Record<string, string>> = {
    strict: securityHeaders(httpsOnly, 'strict'),
    'operator-dashboard': securityHeaders(httpsOnly, 'operator-dashboard'),
    'swagger-ui': securityHeaders(httpsOnly, 'swagger-ui'),
  };
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(byProfile[cspProfileFor(request.url)]);
    done();
  });
}
