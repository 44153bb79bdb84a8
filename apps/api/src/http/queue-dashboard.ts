import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@referloop/config';
import { NOTIFICATION_QUEUES } from '@referloop/notifications';
import { producerQueue } from '@referloop/queue';
import type { Logger } from 'pino';
import { isOperator, OPERATOR_CHALLENGE } from './operator-credential';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The operators' queue dashboard (bull-board) at /admin/queues, behind HTTP basic auth with the
 * operator credential from config. Off when OPERATOR_USER/PASSWORD are not set. Read-only: it
 * shows queues and jobs (whose data are ids) and refuses retry, clean, remove, pause and the like
 * (405); failed notifications are retried in the app (POST /admin/notifications/:id/retry),
 * through the outbox. It never consumes jobs.
 */
export async function mountQueueDashboard(app: NestFastifyApplication, config: AppConfig, logger: Logger): Promise<void> {
  const credential = config.operator;
  if (!credential) return;
  // Loaded only when the dashboard is on (~20 MiB resident): an API without an operator credential never needs it.
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter: BullBoardFastifyAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const queues = NOTIFICATION_QUEUES.map(({ name }) => producerQueue(config, name));
  const board = new BullBoardFastifyAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter: board,
  });

  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (!isOperator(request.headers.authorization, credential)) {
        return reply.status(401).header('www-authenticate', OPERATOR_CHALLENGE).send();
      }
    });
    await scope.register(board.registerPlugin() as never, { prefix: QUEUE_DASHBOARD_PATH });
  });
  fastify.addHook('onClose', async () => {
    await Promise.allSettled(queues.map((queue) => queue.close()));
  });
  logger.info({ path: QUEUE_DASHBOARD_PATH }, 'queue dashboard enabled (operator credential required)');
}
