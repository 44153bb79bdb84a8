import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { Clock } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { ReferralTimers } from '@referloop/referrals';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { type DeliverJob, DELIVERIES_QUEUE, NOTIFICATION_WORKER_OPTIONS, TIMERS_QUEUE } from '../notification-queue';
import { PermanentSendError } from '../channels/email.channel';
import { DeliveryBusyError, NotificationDeliverer } from './notification-deliverer';

/** Sends one email or webhook; after the last attempt the delivery is recorded as failed. */
@Processor(DELIVERIES_QUEUE, { concurrency: 20, ...NOTIFICATION_WORKER_OPTIONS })
export class DeliverProcessor extends WorkerHost {
  constructor(private readonly deliverer: NotificationDeliverer) {
    super();
  }

  async process(job: Job<DeliverJob>, token?: string): Promise<string> {
    try {
      return await this.deliverer.deliver(job.data.deliveryId);
    } catch (error) {
      // Someone else is mid-send: come back when their lease ends, without using up an attempt.
      if (error instanceof DeliveryBusyError && token) {
        await job.moveToDelayed(error.retryAt.getTime() + 500, token);
        throw new DelayedError();
      }
      const message = error instanceof Error ? error.message : String(error);
      // A refusal for good (a mailbox that does not exist) fails now: retrying only delays the news.
      const permanent = error instanceof PermanentSendError;
      const lastAttempt = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (lastAttempt) await this.deliverer.markFailed(job.data.deliveryId, message);
      else await this.deliverer.recordError(job.data.deliveryId, message);
      throw permanent ? new UnrecoverableError(message) : error;
    }
  }
}

/** Reminders, escalations, expiry and auto-close, on the job scheduler's beat. */
@Processor(TIMERS_QUEUE, { concurrency: 1 })
export class TimersProcessor extends WorkerHost {
  private readonly logger = new Logger('ReferralTimers');

  constructor(
    private readonly timers: ReferralTimers,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  async process(): Promise<Record<string, number>> {
    const result = await this.timers.run(this.clock.now(), this.config.timers);
    if (Object.values(result).some((n) => n > 0)) this.logger.log(`timers: ${JSON.stringify(result)}`);
    return { ...result };
  }
}
