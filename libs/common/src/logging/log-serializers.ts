/**
 * What a request or an error may say in a log line. Logs leave the system of record (shipped,
 * kept, read by operators), so they carry no patient data and no secrets: a request is logged by
 * its path (query strings hold searches such as `?q=<patient name>` and links such as
 * `?token=<invitation>`), and an error by its type, code, message and stack frames, never the
 * properties drivers attach (`parameters`, `query`, `detail`, `where`, the driver error itself).
 */

const REDACTED = '"[redacted]"';
/** A double-quoted literal: how PostgreSQL and TypeORM quote the values they refuse or looked for. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;
/** A query string after a path or URL (`/patients?q=…`), up to whitespace or a quote. */
const QUERY_STRING = /(\/[^\s?#"']*)\?[^\s"'#]*/g;
/**
 * What follows a path segment that is itself a secret: the token of a patient's one-click
 * unsubscribe link, in any letter case and with the slash encoded or not (the router decodes both).
 */
const SECRET_SEGMENT = /(\/unsubscribe(?:\/|%2f))[^\s?#"']+/gi;
const ASCII_ESCAPE = /%([0-7][0-9a-f])/gi;
/** The frames of a stack ("    at fn (file:line:col)"), which name code, never data. */
const FRAME = /^\s+at /;
const MAX_CAUSE_DEPTH = 3;

/**
 * A message with its quoted literals replaced, except the schema names in `keep`: PostgreSQL writes
 * `invalid input syntax for type integer: "<value>"` but `violates unique constraint "<name>"`.
 */
export function redactQuoted(message: string, keep: ReadonlySet<string> = new Set()): string {
  return message.replace(QUOTED, (quoted) => (keep.has(quoted.slice(1, -1)) ? quoted : REDACTED));
}

/**
 * Text with the query string of every path or URL in it replaced (framework messages quote request
 * targets), and the secret segments of paths too.
 */
export function redactQueryStrings(text: string): string {
  return redactSecretSegments(text.replace(QUERY_STRING, '$1?[redacted]'));
}

function redactSecretSegments(text: string): string {
  // A path may spell the segment in escapes (`/%75nsubscribe/…` reaches the same route): decoded
  // when that reveals one, and only then, so other paths are logged as they came.
  const decoded = text.replace(ASCII_ESCAPE, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const source = decoded !== text && decoded.search(SECRET_SEGMENT) !== -1 ? decoded : text;
  return source.replace(SECRET_SEGMENT, '$1[redacted]');
}

/** Only the frame lines of a stack or a trace string (its first lines repeat the message). */
export function stackFrames(stack: unknown): string {
  return typeof stack === 'string'
    ? stack
        .split('\n')
        .filter((line) => FRAME.test(line))
        .join('\n')
    : '';
}

export interface SerializedError {
  type: string;
  message: string;
  code?: string | number;
  stack: string;
  cause?: SerializedError;
}

type ErrorLike = Error & {
  code?: unknown;
  cause?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  schema?: unknown;
  dataType?: unknown;
};

/** The one way an error is written to a log (pino's `err` serializer, Nest's logger). */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { type: typeof error, message: redactQuoted(String(error)), stack: '' };
  const e = error as ErrorLike;
  // PostgreSQL's own identifiers in its message stay readable (they are schema, not data).
  const names = [e.constraint, e.table, e.column, e.schema, e.dataType].filter((n): n is string => typeof n === 'string');
  const type = e.constructor?.name || e.name || 'Error';
  const message = redactQueryStrings(redactQuoted(e.message, new Set(names)));
  const frames = stackFrames(e.stack);
  const out: SerializedError = { type, message, stack: frames ? `${type}: ${message}\n${frames}` : `${type}: ${message}` };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (e.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

const REDACTED_SEGMENT = '[redacted]';
const UUID_SEGMENT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How a route's word is spelled (`referrals`, `reset-password`, `v1`); no token is this short and plain. */
const ROUTE_WORD = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_ROUTE_WORD = 24;
/**
 * The words the server's routes, the referral actions and the web app's screens are spelled with,
 * registered at start-up ({@link addRouteWords}). Being short and plain is not enough: a lowercase
 * name (`/patients/jamie`, `/api/v1/patients/by-name/rivera`) looks just like a route word, so only
 * a word of this vocabulary is logged; anything else, a word nobody registered too, is redacted.
 */
const ROUTE_WORDS = new Set<string>();

/** Adds words to the vocabulary of path segments a log line may show (see {@link loggedPath}). */
export function addRouteWords(words: Iterable<string>): void {
  for (const word of words) if (routeSpelling(word)) ROUTE_WORDS.add(word);
}

/** The plain words of a route pattern (`/api/v1/referrals/:id/:action` → api, v1, referrals). */
export function routePatternWords(pattern: string): string[] {
  return pattern.split('/').filter(routeSpelling);
}
/** Route parameters whose values are the API's own words (a referral action), never data. */
const WORD_PARAMETERS: ReadonlySet<string> = new Set([':action']);
/** A file the web app is built into (`index-Bx3f.js`). */
const STATIC_FILE = /^[\w.-]{1,80}\.(?:js|css|map|svg|png|ico|webmanifest|woff2?|txt|json|html)$/i;

/**
 * The path of a request as a log line says it: no query string, and only the segments that cannot
 * carry a secret or a name. On a matched route (`route`, e.g. `/api/v1/patients/:id`) its fixed
 * words, and a parameter only when it is a UUID or a registered referral action: `/api/v1/patients/Jamie` is
 * logged with the name redacted, and an unsubscribe token always is. Elsewhere (no route, the web
 * app's catch-all) a segment only when it is a UUID, a registered route word or a built file: a token
 * pasted into `/reset-password/…` is redacted, and so is `/patients/jamie`.
 */
export function loggedPath(url: string, route?: string): string {
  const end = url.search(/[?#]/);
  const segments = (end === -1 ? url : url.slice(0, end)).split('/');
  const pattern = route && !route.includes('*') ? route.split('/') : undefined;
  if (pattern?.length === segments.length) {
    return pattern.map((word, i) => (word.startsWith(':') ? loggedParameter(word, segments[i]) : word)).join('/');
  }
  return segments.map((segment) => (segment === '' || plainSegment(segment) ? segment : REDACTED_SEGMENT)).join('/');
}

function loggedParameter(name: string, value: string): string {
  const kept = UUID_SEGMENT.test(value) || (WORD_PARAMETERS.has(name) && routeWord(value));
  return kept ? value : REDACTED_SEGMENT;
}

function routeSpelling(segment: string): boolean {
  return segment.length <= MAX_ROUTE_WORD && ROUTE_WORD.test(segment);
}

function routeWord(segment: string): boolean {
  return routeSpelling(segment) && ROUTE_WORDS.has(segment);
}

function plainSegment(segment: string): boolean {
  return UUID_SEGMENT.test(segment) || routeWord(segment) || STATIC_FILE.test(segment);
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  host?: string;
  socket?: { remoteAddress?: string };
  /** Fastify's: the matched route's pattern, when a route matched. */
  routeOptions?: { url?: string };
}

/** The one way a request is written to a log (replaces Fastify's, which logs the whole URL). */
export function serializeRequest(request: RequestLike): Record<string, unknown> {
  return {
    method: request.method,
    url: loggedPath(request.url ?? '', request.routeOptions?.url),
    host: request.host,
    remoteAddress: request.ip ?? request.socket?.remoteAddress,
  };
}
