import { Inject, Injectable } from '@nestjs/common';
import { AppError, Clock, cursorTimestampOf, DEFAULT_PAGE_SIZE, decodeCursor, pageOf, type Principal } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { AuditLog, ClinicScope } from '@referloop/identity';
import type { OverduePageView, OverdueReferralView } from './admin.views';
import { AdminStore, type OverdueRow } from './store/admin.store';

export interface OverdueQuery {
  /** Only referrals the clinic sent, or only those it received. Both by default. */
  box?: 'sent' | 'received';
  cursor?: string;
  limit?: number;
}

/**
 * Open referrals of the clinic (either side) whose response SLA has passed the reminder
 * threshold of their priority (urgent referrals have shorter timers), most overdue first. The elapsed time depends on the clock, so the first page fixes
 * the instant (`asOf`) and the cursor carries it: later pages compare at the same instant, and the
 * keyset (elapsed, id) stays a strict order.
 */
@Injectable()
export class OverdueReferralsService {
  constructor(
    private readonly store: AdminStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  async list(principal: Principal, query: OverdueQuery): Promise<OverduePageView> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const { reminderAfterMs, escalateAfterMs, urgentReminderAfterMs, urgentEscalateAfterMs } = this.config.timers;
    let asOf = this.clock.now();
    let after: { elapsedMs: number; id: string } | undefined;
    if (query.cursor) {
      const [ts, elapsedMs, id] = decodeCursor(query.cursor, 'overdue', ['timestamp', 'number', 'uuid']);
      if (!Number.isSafeInteger(elapsedMs) || (elapsedMs as number) < 0) {
        throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid' }]);
      }
      asOf = new Date(ts);
      after = { elapsedMs: elapsedMs as number, id: id as string };
    }

    const rows = await this.store.overdue(ClinicScope.of(principal), {
      box: query.box,
      asOf,
      reminderAfterMs,
      urgentReminderAfterMs,
      after,
      limit: limit + 1,
    });
    const page = pageOf(rows, limit, (row) => [cursorTimestampOf(asOf), Number(row.elapsed_ms), row.id], 'overdue');
    await this.audit.record({
      by: principal,
      action: 'referral.list_overdue',
      resourceType: 'referral',
      details: { count: page.rows.length },
    });
    return {
      items: page.rows.map((row) =>
        view(row, principal.clinicId, row.priority === 'urgent' ? urgentEscalateAfterMs : escalateAfterMs),
      ),
      nextCursor: page.nextCursor,
      asOf: asOf.toISOString(),
      reminderAfterSeconds: reminderAfterMs / 1000,
      escalateAfterSeconds: escalateAfterMs / 1000,
      urgentReminderAfterSeconds: urgentReminderAfterMs / 1000,
      urgentEscalateAfterSeconds: urgentEscalateAfterMs / 1000,
    };
  }
}

function view(row: OverdueRow, clinicId: string, escalateAfterMs: number): OverdueReferralView {
  const sent = row.sender_clinic_id === clinicId;
  const received = row.recipient_clinic_id === clinicId;
  const elapsedMs = Number(row.elapsed_ms);
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    priority: row.priority,
    side: sent && received ? 'both' : sent ? 'sent' : 'received',
    patientId: row.patient_id,
    sender: { id: row.sender_id, fullName: row.s_name, clinicId: row.sender_clinic_id, clinicName: row.s_clinic_name },
    recipient:
      row.recipient_id === null
        ? null
        : { id: row.recipient_id, fullName: row.t_name!, clinicId: row.recipient_clinic_id!, clinicName: row.t_clinic_name! },
    createdAt: row.created_at.toISOString(),
    sentAt: row.sent_at.toISOString(),
    elapsedSeconds: elapsedMs / 1000,
    escalationDue: elapsedMs >= escalateAfterMs,
  };
}
