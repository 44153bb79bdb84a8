import { AppError } from '@referloop/common';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';

const ONE_CLICK_PATH = /^\/api\/v1\/unsubscribe\/[^/?#]+$/;
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
    if (!ONE_CLICK_PATH.test(request.url)) return done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(FORM), undefined);
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
}

/**
 * The same form sent as multipart/form-data, which RFC 8058 (§3.2) asks mail receivers to prefer:
 * its text fields become the body, as the urlencoded form's do. A file, or more than two small
 * fields, is a 400.
 */
export async function readOneClickMultipart(request: FastifyRequest): Promise<void> {
  const fields: [string, string][] = [];
  try {
    for await (const part of request.parts({ limits: { files: 0, fields: 2, parts: 2, fieldSize: 1024 } })) {
      if (part.type === 'file') break;
      fields.push([part.fieldname, String(part.value)]);
    }
  } catch {
    throw AppError.validation([{ field: 'body', message: 'must be the form List-Unsubscribe=One-Click' }]);
  }
  // Built from entries: a field named __proto__ stays a field (and is refused by name), not a prototype.
  request.body = Object.fromEntries(fields);
}
