import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { NOTIFICATION_QUEUES } from '@referloop/notifications';
import { QueueStoreProbe } from '@referloop/queue';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { problem, PROBLEM_CONTENT_TYPE } from '../http/problem';

const CHECK_TIMEOUT_MS = 2_000;

type CheckResult = { status: 'up' } | { status: 'down'; error: string };

async function check(probe: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness; liveness is a plain Fastify route (./liveness.ts). */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queueStore: QueueStoreProbe,
  ) {}

  /** The database and the queue store answer, each within 2 s (503 otherwise); with job counts per queue. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    let jobs: Record<string, Record<string, number>> | undefined;
    const [database, queue] = await Promise.all([
      check(() => this.db.query('SELECT 1')),
      check(async () => {
        await this.queueStore.ping();
        jobs = await this.queueStore.jobCounts(NOTIFICATION_QUEUES.map((q) => q.name));
      }),
    ]);
    const checks = { database, queue: { ...queue, backend: this.queueStore.kind, jobs } };
    if (database.status === 'up' && queue.status === 'up') return { status: 'ok', checks };
    void reply.status(503).header('content-type', PROBLEM_CONTENT_TYPE);
    return problem('not_ready', 'A dependency is not reachable', { checks });
  }
}
