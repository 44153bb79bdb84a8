import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { NOTIFICATION_QUEUES } from '@referloop/notifications';
import { QueueStoreProbe } from '@referloop/queue';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { isOperator } from '../http/operator-credential';
import { databaseAnswers } from './health.store';

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

const READY_SCHEMA = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    checks: { type: 'object', description: 'Only with the operator credential: database and queue store, job counts.' },
  },
};

/** Readiness; liveness is a plain Fastify route (./liveness.ts). */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queueStore: QueueStoreProbe,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Up when the database and the queue store each answer within 2 s. Anyone (a load balancer)
   * learns only up or down; what failed, the queue backend and the job counts are for the
   * operator (HTTP basic auth with OPERATOR_USER/OPERATOR_PASSWORD).
   */
  @Get('ready')
  @ApiOperation({ summary: 'Up (200) or down (503); the checks and job counts with the operator credential.' })
  @ApiResponse({ status: 200, description: 'Ready', content: { 'application/json': { schema: READY_SCHEMA } } })
  @ApiResponse({ status: 503, description: 'Not ready', content: { 'application/json': { schema: READY_SCHEMA } } })
  async ready(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const operator = isOperator(authorization, this.config.operator);
    let jobs: Record<string, Record<string, number>> | undefined;
    const [database, queue] = await Promise.all([
      check(() => databaseAnswers(this.db)),
      check(async () => {
        await this.queueStore.ping();
        if (operator) jobs = await this.queueStore.jobCounts(NOTIFICATION_QUEUES.map((q) => q.name));
      }),
    ]);
    const status = database.status === 'up' && queue.status === 'up' ? 'up' : 'down';
    void reply.status(status === 'up' ? 200 : 503).header('cache-control', 'no-store');
    if (!operator) return { status };
    return { status, checks: { database, queue: { ...queue, backend: this.queueStore.kind, jobs } } };
  }
}
