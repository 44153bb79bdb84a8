import { createHash } from 'node:crypto';

/** Queue and job names, and each job's payload. Jobs carry ids only, never patient data. */
export const NOTIFICATIONS_QUEUE = 'notifications';
/** Email and webhook sends, apart from dispatch so a slow endpoint never delays fan-out. */
export const DELIVERIES_QUEUE = 'notification-deliveries';
export const TIMERS_QUEUE = 'referral-timers';

export const JOB = {
  /** Up to DISPATCH_BATCH outbox events: fan out to recipients and channels (see dispatchJobs). */
  dispatch: 'dispatch-outbox-events',
  /** One email or webhook delivery. Job id = delivery id (plus the admin retry count). */
  deliver: 'deliver',
  /** Reminders, escalations, expiry and auto-close (a job scheduler runs it). */
  sweepTimers: 'sweep-timers',
} as const;

export interface DispatchJob {
  outboxEventIds: string[];
}

/** Outbox events per dispatch job: one transaction fans them all out. */
export const DISPATCH_BATCH = 50;

/**
 * Dispatch jobs for outbox events, DISPATCH_BATCH per job. The job id comes from the ids it
 * carries (a lone event's job id is the event id), so publishing the same rows again after a
 * crash is deduplicated; a differently cut batch only re-runs fan-outs, which insert nothing new.
 */
export function dispatchJobs(outboxEventIds: string[]) {
  const jobs = [];
  for (let i = 0; i < outboxEventIds.length; i += DISPATCH_BATCH) {
    const ids = outboxEventIds.slice(i, i + DISPATCH_BATCH);
    const jobId = ids.length === 1 ? ids[0] : `batch-${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 32)}`;
    jobs.push({ name: JOB.dispatch, data: { outboxEventIds: ids } satisfies DispatchJob, opts: { jobId } });
  }
  return jobs;
}

export interface DeliverJob {
  deliveryId: string;
}

export const TIMERS_SCHEDULER_ID = 'referral-timers';

/** Outbox event type an admin's "retry" writes; dispatching it re-enqueues the failed delivery. */
export const RETRY_DELIVERY_EVENT = 'notification.retry';

export function deliverJobId(deliveryId: string, retryCount: number): string {
  return retryCount === 0 ? deliveryId : `${deliveryId}-retry-${retryCount}`;
}

/** The deliver job for one delivery (dispatch and the reconciler enqueue the same thing, so job-id dedup holds). */
export function deliverJob(
  delivery: { id: string; retryCount: number },
  settings: { attempts: number; retryBaseDelayMs: number },
) {
  return {
    name: JOB.deliver,
    data: { deliveryId: delivery.id } satisfies DeliverJob,
    opts: {
      jobId: deliverJobId(delivery.id, delivery.retryCount),
      attempts: settings.attempts,
      backoff: { type: 'exponential', delay: settings.retryBaseDelayMs },
    },
  };
}

/**
 * Worker settings of the dispatch and delivery processors. A killed worker's active jobs go back
 * to waiting once their lock expires and a stalled check sees it: with a 10 s lock checked every
 * 5 s that is within ~20 s (BullMQ's defaults, 30 s and 30 s, took up to 90 s). A job may be caught
 * in a few crashes before BullMQ gives up on it (default: 1, then the job silently failed and its
 * notification was lost); the reconciler re-enqueues whatever still ends up failed.
 */
export const NOTIFICATION_WORKER_OPTIONS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 5 } as const;

const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/** Queue registrations (used by the worker module). Completed jobs are kept a day so job-id dedup holds. */
export const NOTIFICATION_QUEUES = [
  { name: NOTIFICATIONS_QUEUE, defaultJobOptions: { ...KEEP, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } } },
  { name: DELIVERIES_QUEUE, defaultJobOptions: KEEP },
  { name: TIMERS_QUEUE, defaultJobOptions: KEEP },
];
