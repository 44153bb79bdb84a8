import type { MinimalJob } from 'bullmq';
import { DELIVERY_BACKOFF, deliverJob, deliverJobBackoff } from './notification-queue';

const SETTINGS = { deliveryAttempts: 8, retryBaseDelayMs: 2_000 };

/** The waits BullMQ takes between the attempts of `job`, failing every time. */
function waits(job: ReturnType<typeof deliverJob>): number[] {
  const asRun = { data: job.data, opts: job.opts } as unknown as MinimalJob;
  return Array.from({ length: job.opts.attempts - 1 }, (_, i) => deliverJobBackoff(i + 1, DELIVERY_BACKOFF, undefined, asRun));
}

describe('deliver jobs', () => {
  it('a new delivery gets the whole budget: 8 attempts, 2 s after the first failure, doubling', () => {
    const job = deliverJob({ id: 'd1', retryCount: 0 }, SETTINGS);
    expect(job.data).toEqual({ deliveryId: 'd1' });
    expect(job.opts).toEqual({ jobId: 'd1', attempts: 8, backoff: { type: DELIVERY_BACKOFF, delay: 2_000 } });
    expect(waits(job)).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000]);
  });

  it('a delivery the queue lost after 4 attempts finishes the same budget on the same schedule', () => {
    const job = deliverJob({ id: 'd1', retryCount: 0, attempts: 4 }, SETTINGS);
    expect(job.data).toEqual({ deliveryId: 'd1', attemptsBefore: 4 });
    // Its next attempt after the wait the 4th failure had left, then the rest of the schedule.
    expect(job.opts).toMatchObject({ jobId: 'd1', attempts: 4, delay: 16_000 });
    expect(waits(job)).toEqual([32_000, 64_000, 128_000]);
  });

  it('one whose budget is spent still gets one attempt (the reconciler found it pending), and an admin retry starts over', () => {
    expect(deliverJob({ id: 'd1', retryCount: 0, attempts: 8 }, SETTINGS).opts).toMatchObject({ attempts: 1, delay: 256_000 });
    expect(deliverJob({ id: 'd1', retryCount: 1, attempts: 0 }, SETTINGS).opts).toEqual({
      jobId: 'd1-retry-1',
      attempts: 8,
      backoff: { type: DELIVERY_BACKOFF, delay: 2_000 },
    });
  });
});
