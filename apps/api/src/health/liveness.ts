import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';

const LIVENESS_PATH = '/health/live';
const LIVE = { status: 'ok' } as const;

/**
 * The process is up: a plain Fastify route, not a Nest controller. It is probed often, needs no
 * token and cannot fail, and Nest's per-route pipeline (guard, pipes, interceptors, filter,
 * response handling) was two thirds of its cost. The application-wide hooks still run: security
 * headers, request id, CORS; the access line does not.
 */
export function addLivenessRoute(fastify: FastifyInstance): void {
  // Not logged: load balancers and orchestrators probe it every few seconds, per replica.
  fastify.get(LIVENESS_PATH, { logLevel: 'silent' }, (_request, reply) => {
    void reply.send(LIVE);
  });
}

/** Its entry in the OpenAPI document, which only scans Nest controllers. */
export function documentLiveness(document: OpenAPIObject): void {
  document.paths[LIVENESS_PATH] = {
    get: {
      operationId: 'health_live',
      description: 'The process is up (no dependency is checked; `/health/ready` checks the database and the queue store).',
      tags: ['health'],
      responses: {
        200: {
          description: '',
          content: {
            'application/json': { schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } },
          },
        },
      },
    },
  };
}
