import { isUtf8 } from 'node:buffer';
import { AppError } from '@referloop/common';
import type { FastifyInstance } from 'fastify';
import { unsupportedMediaType } from './problem';

/** Deeper than any body the API takes (a maintenance plan is the deepest, at four levels). */
export const MAX_JSON_DEPTH = 32;

/**
 * How deeply `text` (JSON) nests arrays and objects, counted up to `limit` + 1: one pass over the
 * characters, skipping strings. Validation and request hashing walk a body recursively, and a few
 * KB of `[[[…]]]` would overflow their stack: such a body is refused before it is parsed.
 */
export function exceedsJsonDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/**
 * The first member name that `text` (well-formed JSON) gives twice in one object, as a field path
 * (`clinic.name`, `consents.0.scope`), or undefined. JSON.parse keeps the last of the two and
 * drops the other without a word: a body is read as sent or refused, as a header sent twice is.
 */
export function repeatedJsonKey(text: string): string | undefined {
  /** Each open object (with the names it has given) or array, and where in it the scan is. */
  const open: { names?: Set<string>; at: string | number }[] = [];
  let atName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      let escaped = false;
      for (; text.charCodeAt(end) !== 0x22; end++) {
        if (text.charCodeAt(end) === 0x5c /* \ */) {
          escaped = true;
          end++;
        }
      }
      const inner = open[open.length - 1];
      if (atName && inner?.names) {
        // A name spelled with escapes (`"a\u0062"`) is the same as one without (`"ab"`).
        const name = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        inner.at = name;
        if (inner.names.has(name)) return open.map((o) => o.at).join('.');
        inner.names.add(name);
        atName = false;
      }
      i = end;
    } else if (c === 0x7b /* { */) {
      open.push({ names: new Set(), at: '' });
      atName = true;
    } else if (c === 0x5b /* [ */) {
      open.push({ at: 0 });
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      open.pop();
      atName = false;
    } else if (c === 0x2c /* , */) {
      const inner = open[open.length - 1];
      if (inner?.names) atName = true;
      else if (inner) inner.at = (inner.at as number) + 1;
    }
  }
  return undefined;
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/** A JSON body's declared charset, when it names one JSON cannot be read in: JSON is UTF-8 (RFC 8259). */
export function foreignCharset(contentType: string | undefined): string | undefined {
  const charset = CHARSET.exec(contentType ?? '')?.[1];
  return charset !== undefined && !/^utf-?8$/i.test(charset) ? charset : undefined;
}

function isWellFormedJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The JSON body parser: Fastify's own (size limit, prototype-poisoning checks) behind a nesting
 * limit, so no body, however malformed, reaches a 500.
 */
export function addJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    // Read as UTF-8 whatever it says: a body declared in another charset would be read wrong.
    const charset = foreignCharset(request.headers['content-type']);
    if (charset !== undefined) {
      return done(unsupportedMediaType('Content-Type', `Send JSON as UTF-8, not ${charset.slice(0, 40)}`), undefined);
    }
    // parseAs 'buffer': decoding bytes that are not UTF-8 would store U+FFFD in their place, not what was sent.
    const bytes = body as Buffer;
    // An empty body is no body, whatever the header says: a route that takes none accepts it, one that needs one names its fields.
    if (bytes.length === 0) return done(null, undefined);
    if (!isUtf8(bytes)) {
      return done(AppError.validation([{ field: 'body', message: 'is not valid UTF-8' }]), undefined);
    }
    const text = bytes.toString('utf8');
    if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
      return done(AppError.validation([{ field: 'body', message: `nests more than ${MAX_JSON_DEPTH} levels deep` }]), undefined);
    }
    void parse(request, text, (error, parsed) => {
      // Fastify answers a prototype key like a syntax error: say which it is, when the JSON itself is fine.
      if (error && isWellFormedJson(text)) {
        return done(
          AppError.validation([{ field: 'body', message: 'must not contain "__proto__" or "constructor.prototype" keys' }]),
          undefined,
        );
      }
      const repeated = error ? undefined : repeatedJsonKey(text);
      if (repeated !== undefined)
        return done(AppError.validation([{ field: repeated, message: 'must be sent once' }]), undefined);
      done(error, parsed);
    });
  });
}
