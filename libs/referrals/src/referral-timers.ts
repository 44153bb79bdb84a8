import { Injectable } from '@nestjs/common';
import type { AppConfig } from '@referloop/config';
import { IDEMPOTENCY_TTL_MS } from './idempotency';
import { ReferralTimerStore } from './store/timer-store';

export { responseElapsedMs, responseThreshold } from './store/timer-store';

/** The configured referral timers (REMINDER_AFTER, URGENT_EXPIRE_AFTER, …), without the scheduler's own interval. */
export type TimerSettings = Omit<AppConfig['timers'], 'sweepEveryMs'>;

export interface TimerRun {
  reminded: number;
  escalated: number;
  expired: number;
  autoClosed: number;
  /** "Progress report due" reminders of maintenance plans with `reportEveryWeeks` (once per referral and period). */
  progressDue: number;
  /** Stored Idempotency-Key answers past their lifetime, deleted. */
  idempotencyKeysDeleted: number;
}

/** Rows per statement: each batch commits on its own, so a backlog never holds many referrals locked at once. */
const BATCH = 500;

/**
 * Repeats one timer's batch statement until a batch does nothing: a backlog (a burst of referrals
 * due in the same minute, a worker back after an outage) is worked off in this run, a batch at a
 * time, instead of one batch per sweep interval (20,000 due took 40 one-minute sweeps), and every
 * due reminder and escalation is written before the expiry step starts. Not "until a short batch":
 * a run beside another worker's finds some rows just done by the other (the unique key skips them)
 * and would move on to expiring while reminders were still due. Every statement re-reads what is
 * due and moves its rows out of it, so the loop ends.
 */
async function allDue(batch: (size: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await batch(BATCH);
    total += done;
    if (done === 0) return total;
  }
}

/**
 * The system's side of the lifecycle: reminders, escalations, expiry, auto-close and progress-report
 * reminders. Every step is one set-based statement (`ReferralTimerStore`), repeated a batch at a
 * time until nothing is due, that re-reads the current state, so a run after the referral moved on
 * does nothing, and unique keys make each reminder and escalation happen once per referral however
 * often (or however many workers) run it. Expiry and auto-close are the state machine's
 * `SYSTEM_TRANSITIONS`: their statuses, events and stamps are read from there. Each writes its
 * timeline event and outbox row in the same statement. Each run also deletes stored Idempotency-Key
 * answers past their lifetime. `now` is the caller's clock.
 */
@Injectable()
export class ReferralTimers {
  constructor(private readonly store: ReferralTimerStore) {}

  async run(now: Date, settings: TimerSettings): Promise<TimerRun> {
    return {
      reminded: await allDue((batch) =>
        this.store.once('reminder_sent', now, settings.reminderAfterMs, settings.urgentReminderAfterMs, batch),
      ),
      escalated: await allDue((batch) =>
        this.store.once('escalated', now, settings.escalateAfterMs, settings.urgentEscalateAfterMs, batch),
      ),
      expired: await allDue((batch) =>
        this.store.systemTransition(
          'expire',
          now,
          { routineMs: settings.expireAfterMs, urgentMs: settings.urgentExpireAfterMs },
          batch,
        ),
      ),
      autoClosed: await allDue((batch) =>
        this.store.systemTransition(
          'auto-close',
          now,
          { routineMs: settings.autoCloseAfterMs, urgentMs: settings.autoCloseAfterMs },
          batch,
        ),
      ),
      progressDue: await allDue((batch) => this.store.progressReportsDue(now, batch)),
      // Stored answers hold PHI: none is kept past its lifetime.
      idempotencyKeysDeleted: await allDue((batch) =>
        this.store.deleteIdempotencyKeys(new Date(now.getTime() - IDEMPOTENCY_TTL_MS), batch),
      ),
    };
  }
}
