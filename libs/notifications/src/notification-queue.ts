/** Queue and job names, and each job's payload. Jobs carry ids only, never patient data. */
export const NOTIFICATIONS_QUEUE = 'notifications';
/** Email and webhook sends, apart from dispatch so a slow endpoint never delays fan-out. */
export const DELIVERIES_QUEUE = 'notification-deliveries';
export const TIMERS_QUEUE = 'referral-timers';

export const JOB = {
  /** One outbox event: fan out to recipients and channels. Job id = outbox event id. */
  dispatch: 'dispatch-outbox-event',
  /** One email or webhook delivery. Job id = delivery id (plus the admin retry count). */
  deliver: 'deliver',
  /** Reminders, escalations, expiry and auto-close (a job scheduler runs it). */
  sweepTimers: 'sweep-timers',
} as const;

export interface DispatchJob {
  outboxEventId: string;
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

const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/** Queue registrations (used by the worker module). Completed jobs are kept a day so job-id dedup holds. */
export const NOTIFICATION_QUEUES = [
  { name: NOTIFICATIONS_QUEUE, defaultJobOptions: { ...KEEP, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } } },
  { name: DELIVERIES_QUEUE, defaultJobOptions: KEEP },
  { name: TIMERS_QUEUE, defaultJobOptions: KEEP },
];
