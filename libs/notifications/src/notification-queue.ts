import type { AppConfig } from '@referloop/config';

// Queue and job names, and each job's payload. Jobs carry ids only, never patient data. Fan-out
// needs no queue: the outbox relay does it in the transaction that claims the events.

/** Email and webhook sends. */
export const DELIVERIES_QUEUE = 'notification-deliveries';
export const TIMERS_QUEUE = 'referral-timers';

export const JOB = {
  /** One email or webhook delivery. Job id = delivery id (plus the admin retry count). */
  deliver: 'deliver',
  /** Reminders, escalations, expiry and auto-close (a job scheduler runs it). */
  sweepTimers: 'sweep-timers',
} as const;

export interface DeliverJob {
  deliveryId: string;
}

export const TIMERS_SCHEDULER_ID = 'referral-timers';

/** Outbox event type an admin's "retry" writes; dispatching it re-enqueues the failed delivery. */
export const RETRY_DELIVERY_EVENT = 'notification.retry';

export function deliverJobId(deliveryId: string, retryCount: number): string {
  return retryCount === 0 ? deliveryId : `${deliveryId}-retry-${retryCount}`;
}

/**
 * The deliver job for one delivery (the relay and the reconciler enqueue the same thing, so job-id
 * dedup holds), with the configured attempts and backoff.
 */
export function deliverJob(
  delivery: { id: string; retryCount: number },
  settings: Pick<AppConfig['notifications'], 'deliveryAttempts' | 'retryBaseDelayMs'>,
) {
  return {
    name: JOB.deliver,
    data: { deliveryId: delivery.id } satisfies DeliverJob,
    opts: {
      jobId: deliverJobId(delivery.id, delivery.retryCount),
      attempts: settings.deliveryAttempts,
      backoff: { type: 'exponential', delay: settings.retryBaseDelayMs },
    },
  };
}

/**
 * Worker settings of the delivery processor. A killed worker's active jobs go back
 * to waiting once their lock expires and a stalled check sees it: with a 10 s lock checked every
 * 5 s that is within ~20 s (BullMQ's defaults, 30 s and 30 s, took up to 90 s). A job may be caught
 * in a few crashes before BullMQ gives up on it (default: 1, then the job silently failed and its
 * notification was lost); the reconciler re-enqueues whatever still ends up failed.
 */
export const NOTIFICATION_WORKER_OPTIONS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 5 } as const;

const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/** Queue registrations (used by the worker module). Completed jobs are kept a day so job-id dedup holds. */
export const NOTIFICATION_QUEUES = [
  { name: DELIVERIES_QUEUE, defaultJobOptions: KEEP },
  { name: TIMERS_QUEUE, defaultJobOptions: KEEP },
];
