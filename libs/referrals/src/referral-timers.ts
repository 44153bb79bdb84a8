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

/** Batch size per timer per run: a long backlog drains over consecutive runs. */
const BATCH = 500;

/**
 * The system's side of the lifecycle: reminders, escalations, expiry, auto-close and progress-report
 * reminders. Every step
 * is one set-based statement (`ReferralTimerStore`) that re-reads the current state, so a run after
 * the referral moved on does nothing, and unique keys make each reminder and escalation happen once
 * per referral however often (or however many workers) run it. Expiry and auto-close are the state
 * machine's `SYSTEM_TRANSITIONS`: their statuses, events and stamps are read from there. Each writes
 * its timeline event and outbox row in the same statement. Each run also deletes stored
 * Idempotency-Key answers past their lifetime. `now` is the caller's clock.
 */
@Injectable()
export class ReferralTimers {
  constructor(private readonly store: ReferralTimerStore) {}

  async run(now: Date, settings: TimerSettings): Promise<TimerRun> {
    return {
      reminded: await this.store.once('reminder_sent', now, settings.reminderAfterMs, settings.urgentReminderAfterMs, BATCH),
      escalated: await this.store.once('escalated', now, settings.escalateAfterMs, settings.urgentEscalateAfterMs, BATCH),
      expired: await this.store.systemTransition(
        'expire',
        now,
        { routineMs: settings.expireAfterMs, urgentMs: settings.urgentExpireAfterMs },
        BATCH,
      ),
      autoClosed: await this.store.systemTransition(
        'auto-close',
        now,
        { routineMs: settings.autoCloseAfterMs, urgentMs: settings.autoCloseAfterMs },
        BATCH,
      ),
      progressDue: await this.store.progressReportsDue(now, BATCH),
      // Stored answers hold PHI: none is kept past its lifetime.
      idempotencyKeysDeleted: await this.store.deleteIdempotencyKeys(new Date(now.getTime() - IDEMPOTENCY_TTL_MS), BATCH),
    };
  }
}
