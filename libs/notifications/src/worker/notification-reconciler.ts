import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { queueBackendKind } from '@referloop/queue';
import type { Queue } from 'bullmq';
import { type DeliverJob, DELIVERIES_QUEUE, deliverJob } from '../notification-queue';
import { DeliveryStore } from '../store/delivery.store';
import { TimersScheduler } from './timers-scheduler';

const EVERY_MS = 5_000;
/** A pending delivery younger than this may still be on its way to the queue (the relay commits, then enqueues). */
const GRACE = '10 seconds' as const;
const BATCH = 500;
const SHUTDOWN_WAIT_MS = 2_000;

interface RawRedis {
  set(key: string, value: string, nx: 'NX'): Promise<string | null>;
}

/**
 * PostgreSQL is the system of record; the queue store is not. This puts back what the queue lost,
 * so "a crash or Redis being down delays notifications but loses none" holds even when Redis
 * restarts without its data (no persistence, failover to an empty replica) or BullMQ gives up on
 * a job (stalled too often, attempts used up while the database was down):
 *
 * - Redis lost its data (a marker key is gone): the timer scheduler is registered again. (Fan-out
 *   never goes through the queue: the relay writes the deliveries in the transaction that claims
 *   the outbox events.)
 * - Every pending email/webhook delivery must have a live deliver job: a missing one is added (the
 *   queue lost it, or was unreachable when the relay committed), a failed one (the processor could
 *   not even record the failure) or a completed one (the database was restored from a backup taken
 *   while it was being sent) is replaced by a fresh one.
 *
 * Every re-enqueue uses the same job id, so a job that still exists is never doubled, and carries
 * the attempts the delivery already made: it finishes their budget on their schedule (a webhook
 * failing through a Redis restart is not tried 8 more times from the start).
 */
@Injectable()
export class NotificationReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('NotificationReconciler');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    @InjectQueue(DELIVERIES_QUEUE) private readonly deliveries: Queue<DeliverJob>,
    private readonly deliveryStore: DeliveryStore,
    private readonly timers: TimersScheduler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), EVERY_MS);
    this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    // With Redis down a pass waits for it; do not hold the shutdown for that.
    await Promise.race([this.running, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
  }

  /** One pass at a time; a pass still waiting for Redis makes the next ticks no-ops. */
  tick(): void {
    if (this.running || this.stopped) return;
    this.running = this.reconcile()
      .catch((error: unknown) => this.logger.warn('reconcile failed, will retry', error))
      .finally(() => {
        this.running = undefined;
      });
  }

  async reconcile(): Promise<void> {
    if (await this.storeLostItsData()) {
      await this.timers.register();
      this.logger.log('the queue store is new or lost its data: timers registered again');
    }
    await this.requeueStrandedDeliveries();
  }

  /**
   * SET NX of a marker key: it succeeds when the key is missing, i.e. on a new store or one that
   * lost its data. (The PostgreSQL queue backend lives in the application database: nothing to check.)
   */
  private async storeLostItsData(): Promise<boolean> {
    if (queueBackendKind(this.config) !== 'redis') return false;
    const backend = this.deliveries.getBackend() as unknown as { client: Promise<RawRedis> };
    const redis = await backend.client;
    return (await redis.set(`${this.config.queuePrefix}:referloop:store-marker`, new Date().toISOString(), 'NX')) === 'OK';
  }

  private async requeueStrandedDeliveries(): Promise<void> {
    let requeued = 0;
    // Keyset pages over the pending index, so a big backlog (after Redis lost everything) is
    // handled in one pass instead of BATCH per tick.
    let after: { createdAt: string; id: string } | undefined;
    for (;;) {
      const page = await this.deliveryStore.pendingPage(GRACE, after, BATCH);
      // getJob reads one hash (getJobState would scan the wait list: slow exactly when there is a backlog).
      const wanted = page.map((delivery) => deliverJob(delivery, this.config.notifications));
      const existing = await Promise.all(wanted.map((job) => this.deliveries.getJob(job.opts.jobId)));
      const missing: typeof wanted = [];
      for (const [i, job] of existing.entries()) {
        if (job) {
          // A finished job of a delivery still pending will never send it: it failed, or it completed
          // before a restore put the database back to a backup taken while it was being sent (Redis
          // keeps completed jobs a day). Its replacement re-reads the delivery (one already
          // delivered meanwhile is skipped).
          if (!job.finishedOn || !((await job.isFailed()) || (await job.isCompleted()))) continue;
          await job.remove();
        }
        missing.push(wanted[i]);
      }
      if (missing.length > 0) await this.deliveries.addBulk(missing);
      requeued += missing.length;
      if (page.length < BATCH || this.stopped) break;
      const last = page[page.length - 1];
      after = { createdAt: last.createdAt, id: last.id };
    }
    if (requeued > 0) this.logger.warn(`re-enqueued ${requeued} pending deliver job(s) the queue had lost or given up on`);
  }
}
