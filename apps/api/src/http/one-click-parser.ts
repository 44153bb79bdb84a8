import type { IncomingMessage } from 'node:http';
import { AppError } from '@referloop/common';
import { errorCodes, type FastifyInstance } from 'fastify';
import { MultipartRefused, readMultipart } from './multipart';

/** The unsubscribe route (../notifications/unsubscribe.controller.ts), as Fastify names it. */
export const ONE_CLICK_ROUTE = '/api/v1/unsubscribe/:token';
const FORM = 'application/x-www-form-urlencoded';

/**
 * RFC 8058 fixes the one-click unsubscribe body as a form (`List-Unsubscribe=One-Click`), so form
 * bodies are parsed for that route alone: everywhere else the API stays JSON only (a form post is
 * the one kind of cross-site request a browser sends without asking).
 */
export function addOneClickUnsubscribeParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 1024 }, (request, body, done) => {
    // No such route or method: its 404, whatever the body.
    if (request.is404) return done(null, undefined);
    if (request.routeOptions.url !== ONE_CLICK_ROUTE) return done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(FORM), undefined);
    try {
      done(null, formOf([...new URLSearchParams(String(body))]));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * The same form sent as multipart/form-data, which RFC 8058 (§3.2) asks mail receivers to prefer:
 * its text fields become the body, as the urlencoded form's do. A file, or more than two small
 * fields, is a 400.
 */
export async function readOneClickMultipart(body: IncomingMessage): Promise<Record<string, string>> {
  let parts;
  try {
    parts = await readMultipart(body, { parts: 2, fileSize: 0, fieldSize: 1024 }, (part) => {
      if (part.kind === 'file') throw new MultipartRefused('malformed');
    });
  } catch {
    throw AppError.validation([{ field: 'body', message: 'must be the form List-Unsubscribe=One-Click' }]);
  }
  return formOf(parts.map((part) => [part.field, part.kind === 'field' ? part.value : '']));
}

/**
 * A form's fields as the body. A field given twice is refused by name: which of two values counts
 * would depend on their order. Built from entries: a field named __proto__ stays a field (and is
 * refused by name), not a prototype.
 */
function formOf(fields: [string, string][]): Record<string, string> {
  const names = new Set<string>();
  for (const [name] of fields) {
    if (names.has(name)) throw AppError.validation([{ field: name, message: 'must be given once' }]);
    names.add(name);
  }
  return Object.fromEntries(fields);
}
