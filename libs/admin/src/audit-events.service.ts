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
 * The clinic's audit trail (events whose actor acted for the clinic), newest first, keyset-paged
 * on (occurred_at, id). The table holds ids, actions and request metadata only, never patient data.
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
    const filters = ['clinic_id = $1'];
    if (query.actorId) filters.push(`actor_id = ${p(query.actorId)}`);
    if (query.action) filters.push(`action = ${p(query.action)}`);
    if (query.resourceType) filters.push(`resource_type = ${p(query.resourceType)}`);
    if (query.resourceId) filters.push(`resource_id = ${p(query.resourceId)}`);
    if (query.from) filters.push(`occurred_at >= ${p(query.from)}`);
    if (query.to) filters.push(`occurred_at < ${p(query.to)}`);
    if (query.cursor) {
      const [ts, id] = decodeCursor(query.cursor, ['timestamp', 'text']);
      if (!/^\d{1,18}$/.test(id as string)) throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid' }]);
      filters.push(`(occurred_at, id) < (${p(ts)}::timestamptz, ${p(String(id))}::bigint)`);
    }
    const rows: AuditRow[] = await this.db.query(
      `SELECT id::text AS id, occurred_at, actor_id, clinic_id, action, resource_type, resource_id, outcome, ip, request_id, details,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM audit_events
        WHERE ${filters.join(' AND ')}
        ORDER BY occurred_at DESC, id DESC
        LIMIT ${p(limit + 1)}`,
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
