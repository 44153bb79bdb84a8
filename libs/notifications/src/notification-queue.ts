import type { AppConfig } from '@referloop/config';
import type { MinimalJob } from 'bullmq';

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
  /**
   * Attempts the delivery had made before this job was added: the queue lost the job that made
   * them (Redis restarted empty) and the reconciler added it again, to finish their budget on
   * their schedule instead of starting both over.
   */
  attemptsBefore?: number;
}

/** The backoff type of deliver jobs: {@link deliveryBackoffMs}, counting the attempts made before the job too. */
export const DELIVERY_BACKOFF = 'delivery';

/** The wait after a delivery's `made`-th failed attempt: base × 2^(made − 1) (2 s, 4 s, 8 s, … by default). */
export function deliveryBackoffMs(made: number, baseMs: number): number {
  return Math.round(2 ** (made - 1) * baseMs);
}

export const TIMERS_SCHEDULER_ID = 'referral-timers';

/** Outbox event type an admin's "retry" writes; dispatching it re-enqueues the failed delivery. */
export const RETRY_DELIVERY_EVENT = 'notification.retry';

export function deliverJobId(deliveryId: string, retryCount: number): string {
  return retryCount === 0 ? deliveryId : `${deliveryId}-retry-${retryCount}`;
}

/**
 * The deliver job for one delivery (the relay and the reconciler enqueue the same thing, so job-id
 * dedup holds), with the configured attempts and backoff. A delivery that already made `attempts`
 * gets what is left of its budget, its first try after the wait its schedule had left it at.
 */
export function deliverJob(
  delivery: { id: string; retryCount: number; attempts?: number },
  settings: Pick<AppConfig['notifications'], 'deliveryAttempts' | 'retryBaseDelayMs'>,
) {
  const before = delivery.attempts ?? 0;
  return {
    name: JOB.deliver,
    data: (before > 0 ? { deliveryId: delivery.id, attemptsBefore: before } : { deliveryId: delivery.id }) satisfies DeliverJob,
    opts: {
      jobId: deliverJobId(delivery.id, delivery.retryCount),
      attempts: Math.max(1, settings.deliveryAttempts - before),
      backoff: { type: DELIVERY_BACKOFF, delay: settings.retryBaseDelayMs },
      ...(before > 0 ? { delay: deliveryBackoffMs(before, settings.retryBaseDelayMs) } : {}),
    },
  };
}

/** The worker's side of {@link DELIVERY_BACKOFF}: the wait after a failed attempt, counting those made before the job. */
export function deliverJobBackoff(attemptsMade: number, _type?: string, _error?: Error, job?: MinimalJob): number {
  const data = job?.data as DeliverJob | undefined;
  const backoff = job?.opts.backoff;
  const baseMs = typeof backoff === 'number' ? backoff : (backoff?.delay ?? 0);
  return deliveryBackoffMs((data?.attemptsBefore ?? 0) + attemptsMade, baseMs);
}

/**
 * Worker settings of the delivery processor. A killed worker's active jobs go back
 * to waiting once their lock expires and a stalled check sees it: with a 10 s lock checked every
 * 5 s that is within ~20 s (BullMQ's defaults, 30 s and 30 s, took up to 90 s). A job may be caught
 * in a few crashes before BullMQ gives up on it (default: 1, then the job silently failed and its
 * notification was lost); the reconciler re-enqueues whatever still ends up failed.
 */
export const NOTIFICATION_WORKER_OPTIONS = {
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 5,
  settings: { backoffStrategy: deliverJobBackoff },
} as const;

const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/** Queue registrations (used by the worker module). Completed jobs are kept a day so job-id dedup holds. */
export const NOTIFICATION_QUEUES = [
  { name: DELIVERIES_QUEUE, defaultJobOptions: KEEP },
  { name: TIMERS_QUEUE, defaultJobOptions: KEEP },
];
