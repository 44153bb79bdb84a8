import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, type Page, type Principal } from '@referloop/common';
import { DataSource } from 'typeorm';
import type { AuditEventView } from './admin.views';

export interface AuditEventQuery {
  actorId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  /** Inclusive. */
  from?: string;
  /** Exclusive. */
  to?: string;
  cursor?: string;
  limit?: number;
}

interface AuditRow {
  id: string;
  occurred_at: Date;
  actor_id: string | null;
  clinic_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: string;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown> | null;
  cursor_ts: string;
}

/**
 * The clinic's audit trail, newest first, keyset-paged on (occurred_at, id): events whose actor
 * acted for the clinic, and events of other clinics' users about referrals this clinic is party
 * to (the sender's clinic, and the recipient's once sent). The table holds ids, actions and
 * request metadata only, never patient data.
 */
@Injectable()
export class AuditEventsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(principal: Principal, query: AuditEventQuery): Promise<Page<AuditEventView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (query.from && query.to && new Date(query.from).getTime() > new Date(query.to).getTime()) {
      throw AppError.validation([{ field: 'from', message: 'must not be after to' }]);
    }
    const params: unknown[] = [principal.clinicId];
    const p = (value: unknown) => `$${params.push(value)}`;
    // Conditions on the audit event `a`; each source adds its own clinic and keyset columns.
    const filters: string[] = [];
    if (query.actorId) filters.push(`a.actor_id = ${p(query.actorId)}`);
    if (query.action) filters.push(`a.action = ${p(query.action)}`);
    if (query.resourceType) filters.push(`a.resource_type = ${p(query.resourceType)}`);
    if (query.resourceId) filters.push(`a.resource_id = ${p(query.resourceId)}`);
    if (query.from) filters.push(`a.occurred_at >= ${p(query.from)}`);
    if (query.to) filters.push(`a.occurred_at < ${p(query.to)}`);
    let keyset = (_occurredAt: string, _id: string) => 'true';
    if (query.cursor) {
      const [ts, id] = decodeCursor(query.cursor, ['timestamp', 'text']);
      if (!/^\d{1,18}$/.test(id as string)) throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid' }]);
      const after = `(${p(ts)}::timestamptz, ${p(String(id))}::bigint)`;
      keyset = (occurredAt, eventId) => `(${occurredAt}, ${eventId}) < ${after}`;
    }
    const where = (...own: string[]) => [...own, ...filters].join(' AND ');
    const lim = p(limit + 1);
    // The clinic's own events, and those of other clinics about referrals this clinic is party to
    // (their actor's IP is that clinic's business, and a list read shows only this clinic's ids).
    const rows: AuditRow[] = await this.db.query(
      `SELECT id::text AS id, occurred_at, actor_id, clinic_id, action, resource_type, resource_id, outcome, ip, request_id, details,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM ((SELECT a.id, a.occurred_at, a.actor_id, a.clinic_id, a.action, a.resource_type, a.resource_id, a.outcome, a.ip,
                       a.request_id, a.details
                  FROM audit_events a
                 WHERE ${where('a.clinic_id = $1', keyset('a.occurred_at', 'a.id'))}
                 ORDER BY a.occurred_at DESC, a.id DESC LIMIT ${lim})
               UNION ALL
               (SELECT a.id, a.occurred_at, a.actor_id, a.clinic_id, a.action, a.resource_type, a.resource_id, a.outcome, NULL,
                       a.request_id, CASE WHEN x.resource_ids IS NULL THEN a.details
                                          ELSE a.details || jsonb_build_object('ids', to_jsonb(x.resource_ids),
                                                                               'count', cardinality(x.resource_ids)) END
                  FROM audit_event_clinics x JOIN audit_events a ON a.id = x.audit_event_id
                 WHERE ${where('x.clinic_id = $1', keyset('x.occurred_at', 'x.audit_event_id'))}
                 ORDER BY x.occurred_at DESC, x.audit_event_id DESC LIMIT ${lim})) page
        ORDER BY occurred_at DESC, id DESC
        LIMIT ${lim}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({
        id: row.id,
        occurredAt: row.occurred_at.toISOString(),
        actorId: row.actor_id,
        clinicId: row.clinic_id,
        action: row.action,
        resourceType: row.resource_type,
        resourceId: row.resource_id,
        outcome: row.outcome,
        ip: row.ip,
        requestId: row.request_id,
        details: row.details,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor([last.cursor_ts, last.id]) : null,
    };
  }
}
