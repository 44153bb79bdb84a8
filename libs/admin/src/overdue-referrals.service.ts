import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, Clock, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, type Principal } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { AuditLog } from '@referloop/identity';
import { type ReferralStatus, responseElapsedMsSql } from '@referloop/referrals';
import { DataSource } from 'typeorm';
import type { OverduePageView, OverdueReferralView } from './admin.views';
import { AWAITING_DECISION, sqlList } from './response-sla';

export interface OverdueQuery {
  /** Only referrals the clinic sent, or only those it received. Both by default. */
  box?: 'sent' | 'received';
  cursor?: string;
  limit?: number;
}

interface OverdueRow {
  id: string;
  elapsed_ms: string;
  kind: string;
  status: ReferralStatus;
  priority: string;
  patient_id: string;
  sender_id: string;
  sender_clinic_id: string;
  recipient_id: string | null;
  recipient_clinic_id: string | null;
  created_at: Date;
  sent_at: Date;
  s_name: string;
  s_clinic_name: string;
  t_name: string | null;
  t_clinic_name: string | null;
}

const OPEN = sqlList(AWAITING_DECISION);

/**
 * Open referrals of the clinic (either side) whose response SLA has passed the reminder
 * threshold, most overdue first. The elapsed time depends on the clock, so the first page fixes
 * the instant (`asOf`) and the cursor carries it: later pages compare at the same instant, and the
 * keyset (elapsed, id) stays a strict order.
 */
@Injectable()
export class OverdueReferralsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  async list(principal: Principal, query: OverdueQuery): Promise<OverduePageView> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const { reminderAfterMs, escalateAfterMs } = this.config.timers;
    let asOf = this.clock.now();
    let after: { elapsedMs: number; id: string } | undefined;
    if (query.cursor) {
      const [ts, elapsedMs, id] = decodeCursor(query.cursor, ['timestamp', 'number', 'uuid']);
      if (!Number.isSafeInteger(elapsedMs) || (elapsedMs as number) < 0) {
        throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid' }]);
      }
      asOf = new Date(ts);
      after = { elapsedMs: elapsedMs as number, id: id as string };
    }

    const params: unknown[] = [principal.clinicId, asOf, reminderAfterMs, limit + 1];
    const elapsed = `floor(${responseElapsedMsSql('$2', 'r')})::bigint`;
    const branches: string[] = [];
    if (query.box !== 'received') {
      branches.push(
        `SELECT r.id, ${elapsed} AS elapsed_ms FROM referrals r WHERE r.sender_clinic_id = $1 AND r.status IN (${OPEN})`,
      );
    }
    if (query.box !== 'sent') {
      // Referrals within the clinic come from the first branch unless only the received side is asked for.
      const notBoth = query.box === 'received' ? '' : ' AND r.sender_clinic_id <> $1';
      branches.push(
        `SELECT r.id, ${elapsed} AS elapsed_ms FROM referrals r WHERE r.recipient_clinic_id = $1 AND r.status IN (${OPEN})${notBoth}`,
      );
    }
    let keyset = '';
    if (after) {
      params.push(after.elapsedMs, after.id);
      keyset = ` AND (o.elapsed_ms, o.id) < ($5::bigint, $6::uuid)`;
    }
    // The page is cut from the open referrals alone (small partial indexes); only its rows are joined.
    const rows: OverdueRow[] = await this.db.query(
      `SELECT page.id, page.elapsed_ms::text AS elapsed_ms, r.kind, r.status, r.priority, r.patient_id, r.sender_id,
              r.sender_clinic_id, r.recipient_id, r.recipient_clinic_id, r.created_at, r.sent_at,
              s.full_name AS s_name, sc.name AS s_clinic_name, t.full_name AS t_name, tc.name AS t_clinic_name
         FROM (SELECT o.id, o.elapsed_ms
                 FROM (${branches.join(' UNION ALL ')}) o
                WHERE o.elapsed_ms >= $3${keyset}
                ORDER BY o.elapsed_ms DESC, o.id DESC
                LIMIT $4) page
         JOIN referrals r ON r.id = page.id
         JOIN users s ON s.id = r.sender_id
         JOIN clinics sc ON sc.id = r.sender_clinic_id
         LEFT JOIN users t ON t.id = r.recipient_id
         LEFT JOIN clinics tc ON tc.id = r.recipient_clinic_id
        ORDER BY page.elapsed_ms DESC, page.id DESC`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    await this.audit.record({ action: 'referral.list_overdue', resourceType: 'referral', details: { count: page.length } });
    return {
      items: page.map((row) => view(row, principal.clinicId, escalateAfterMs)),
      nextCursor: rows.length > limit && last ? encodeCursor([microseconds(asOf), Number(last.elapsed_ms), last.id]) : null,
      asOf: asOf.toISOString(),
      reminderAfterSeconds: reminderAfterMs / 1000,
      escalateAfterSeconds: escalateAfterMs / 1000,
    };
  }
}

/** The cursor's timestamp form (UTC with microseconds, like every keyset cursor here). */
const microseconds = (date: Date) => date.toISOString().replace('Z', '000Z');

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
