import { errorCodes, type FastifyInstance } from 'fastify';

const ONE_CLICK_PATH = /^\/api\/v1\/unsubscribe\/[^/?#]+$/;
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
