import type { FastifyRequest } from 'fastify';

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin the caller reached the app on (`http://192.168.1.20:3000`), for links made when
 * PUBLIC_URL is not set. Fastify reads Host, or X-Forwarded-Host/-Proto only with TRUST_PROXY.
 * Null when the host does not look like one.
 */
export function requestOrigin(request: FastifyRequest): string | null {
  const host = request.host;
  return typeof host === 'string' && HOST.test(host) ? `${request.protocol}://${host}` : null;
}
