import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import type { Queue } from 'bullmq';
import { JOB, TIMERS_QUEUE, TIMERS_SCHEDULER_ID } from '../notification-queue';

/** Registers the timer sweep as a BullMQ job scheduler: one run per interval across all workers. */
@Injectable()
export class TimersScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('TimersScheduler');

  constructor(
    @InjectQueue(TIMERS_QUEUE) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: with Redis down the registration waits for it, and awaiting it held up the rest
    // of the start (the outbox relay, whose in-app fan-out needs no queue).
    this.register().catch((error: unknown) => this.logger.warn('registering the timer sweep failed', error));
  }

  /** Idempotent; run again by the reconciler when the queue store lost its data (the scheduler lives there). */
  async register(): Promise<void> {
    await this.queue.upsertJobScheduler(
      TIMERS_SCHEDULER_ID,
      { every: this.config.timers.sweepEveryMs },
      { name: JOB.sweepTimers, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }
}
