import { Inject, Injectable } from '@nestjs/common';
import { Clock, type Principal } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { ClinicScope, UsersStore } from '@referloop/identity';
import { REFERRAL_STATUSES, type ReferralStatus } from '@referloop/referrals';
import type { AdminMetricsView, PractitionerMetricsView, ReferralMetricsView } from './admin.views';
import { AdminStore, type MetricsGroupRow, metricsSql, statusColumn } from './store/admin.store';
import { type TimeWindowInput, TimeWindows } from './time-window';

/** Clinic metrics over referrals created in a window that involve the clinic (see `metricsSql`). */
@Injectable()
export class AdminMetricsService {
  constructor(
    private readonly store: AdminStore,
    private readonly users: UsersStore,
    private readonly windows: TimeWindows,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async metrics(principal: Principal, input: TimeWindowInput): Promise<AdminMetricsView> {
    const now = this.clock.now();
    const { from, to } = await this.windows.of(principal, input, now);
    const { escalateAfterMs, urgentEscalateAfterMs } = this.config.timers;
    const scope = ClinicScope.of(principal);

    const [rows, practitioners] = await Promise.all([
      this.store.metrics(scope, { from, to, now, escalateAfterMs, urgentEscalateAfterMs }),
      this.users.practitionersOf(scope),
    ]);

    const groups = new Map(rows.map((r) => [`${r.side}:${r.practitioner_id ?? ''}`, r]));
    const metricsOf = (side: MetricsGroupRow['side'], practitionerId = '') => toMetrics(groups.get(`${side}:${practitionerId}`));
    const perPractitioner: PractitionerMetricsView[] = practitioners.map((p) => ({
      practitionerId: p.id,
      fullName: p.full_name,
      role: p.role,
      sent: metricsOf('sent', p.id),
      received: metricsOf('received', p.id),
    }));
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      asOf: now.toISOString(),
      overdueAfterSeconds: escalateAfterMs / 1000,
      urgentOverdueAfterSeconds: urgentEscalateAfterMs / 1000,
      clinic: metricsOf('clinic'),
      sent: metricsOf('sent'),
      received: metricsOf('received'),
      practitioners: perPractitioner,
    };
  }
}

/**
 * The metrics statement as text with positional parameters $1 clinic, $2 from, $3 to, $4 now,
 * $5 escalation threshold (ms), $6 urgent escalation threshold (ms): for EXPLAIN in the benchmark (bench/scenarios/admin.js).
 */
export const METRICS_SQL: string = (() => {
  const marks = [{}, {}, {}, {}, {}, {}] as unknown[];
  const [clinicId, from, to, now, escalateAfterMs, urgentEscalateAfterMs] = marks;
  const statement = metricsSql(ClinicScope.of({ clinicId: clinicId as string, userId: '', isAdmin: true }), {
    from: from as Date,
    to: to as Date,
    now: now as Date,
    escalateAfterMs: escalateAfterMs as number,
    urgentEscalateAfterMs: urgentEscalateAfterMs as number,
  });
  return statement.text.replace(/\$(\d+)/g, (_, n: string) => `$${marks.indexOf(statement.values[Number(n) - 1]) + 1}`);
})();

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);
/** Seconds to the millisecond (the timeline's precision that matters), or null without data. */
const seconds = (value: number | string | null) => (value === null ? null : Math.round(Number(value) * 1000) / 1000);

function toMetrics(row: MetricsGroupRow | undefined): ReferralMetricsView {
  const byStatus = Object.fromEntries(
    REFERRAL_STATUSES.map((s) => [s, row ? Number(row[statusColumn(s) as `n_${string}`]) : 0]),
  ) as Record<ReferralStatus, number>;
  if (!row) {
    return {
      total: 0,
      sentCount: 0,
      byStatus,
      decided: 0,
      accepted: 0,
      closedLoop: 0,
      closedLoopRate: null,
      leakage: { count: 0, rate: null, declined: 0, expired: 0, cancelled: 0 },
      overdue: 0,
      medianTimeToAcceptSeconds: null,
      medianTimeToFirstAppointmentSeconds: null,
      medianPainChange: null,
    };
  }
  return {
    total: row.total,
    sentCount: row.sent_count,
    byStatus,
    decided: row.decided,
    accepted: row.accepted,
    closedLoop: row.closed_loop,
    closedLoopRate: ratio(row.closed_loop, row.decided),
    leakage: {
      count: row.leaked,
      rate: ratio(row.leaked, row.decided),
      declined: row.leaked_declined,
      expired: row.leaked_expired,
      cancelled: row.leaked_cancelled,
    },
    overdue: row.overdue,
    medianTimeToAcceptSeconds: seconds(row.median_accept_s),
    medianTimeToFirstAppointmentSeconds: seconds(row.median_schedule_s),
    medianPainChange: row.median_pain_change === null ? null : Number(row.median_pain_change),
  };
}
