import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@referloop/config';
import { NOTIFICATION_QUEUES } from '@referloop/notifications';
import { bullConnection, queueBackendKind } from '@referloop/queue';
import { Queue } from 'bullmq';
import type { Logger } from 'pino';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The operators' queue dashboard (bull-board) at /admin/queues, behind HTTP basic auth with the
 * operator credential from config. Off when QUEUE_DASHBOARD_USER/PASSWORD are not set. It only
 * inspects queues (and lets an operator retry a job); it never consumes them.
 */
export async function mountQueueDashboard(app: NestFastifyApplication, config: AppConfig, logger: Logger): Promise<void> {
  const credential = config.queueDashboard;
  if (!credential) return;
  const queues = NOTIFICATION_QUEUES.map(
    ({ name }) =>
      new Queue(name, {
        connection: bullConnection(config, 'producer') as never,
        ...(queueBackendKind(config) === 'redis' ? { prefix: config.queuePrefix } : {}),
      }),
  );
  const board = new BullBoardFastifyAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: board });

  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const [scheme, encoded] = (request.headers.authorization ?? '').split(' ');
      const [user, ...rest] = scheme === 'Basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8').split(':') : [];
      if (!user || !sameSecret(user, credential.user) || !sameSecret(rest.join(':'), credential.password)) {
        return reply.status(401).header('www-authenticate', 'Basic realm="ReferLoop queues"').send();
      }
    });
    await scope.register(board.registerPlugin() as never, { prefix: QUEUE_DASHBOARD_PATH });
  });
  fastify.addHook('onClose', async () => {
    await Promise.allSettled(queues.map((queue) => queue.close()));
  });
  logger.info({ path: QUEUE_DASHBOARD_PATH }, 'queue dashboard enabled (operator credential required)');
}
