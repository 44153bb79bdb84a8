import { Injectable } from '@nestjs/common';
import {
  AppError,
  type AuditAction,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  type Page,
  toPage,
  type Principal,
} from '@referloop/common';
import { AUDIT_ACTIONS_OF, type AuditFilterResource, ClinicScope } from '@referloop/identity';
import type { AuditEventView } from './admin.views';
import { AdminStore } from './store/admin.store';
import { TimeWindows } from './time-window';

export interface AuditEventQuery {
  actorId?: string;
  action?: AuditAction;
  resourceType?: AuditFilterResource;
  resourceId?: string;
  /** Inclusive; a date-time with a zone, or a calendar date (as the metrics' window). */
  from?: string;
  /** Exclusive; a calendar date includes its day. */
  to?: string;
  cursor?: string;
  limit?: number;
}

/**
 * The clinic's audit trail, newest first, keyset-paged on (occurred_at, id): events whose actor
 * acted for the clinic, and events of other clinics' users about referrals this clinic is party
 * to (the sender's clinic, and the recipient's once sent). The table holds ids, actions and
 * request metadata only, never patient data.
 */
@Injectable()
export class AuditEventsService {
  constructor(
    private readonly store: AdminStore,
    private readonly windows: TimeWindows,
  ) {}

  async list(principal: Principal, query: AuditEventQuery): Promise<Page<AuditEventView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const { from, to } = await this.windows.bounds(principal, query);
    let after: { occurredAt: string; id: string } | undefined;
    if (query.cursor) {
      const [ts, id] = decodeCursor(query.cursor, 'audit-events', ['timestamp', 'text']);
      if (!/^\d{1,18}$/.test(id as string)) throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid' }]);
      after = { occurredAt: ts as string, id: String(id) };
    }
    // The clinic's own events, and those of other clinics about referrals this clinic is party to
    // (their actor's IP is that clinic's business, and a list read shows only this clinic's ids).
    const kind = query.resourceType;
    const filedUnder =
      kind && Object.hasOwn(AUDIT_ACTIONS_OF, kind) ? AUDIT_ACTIONS_OF[kind as keyof typeof AUDIT_ACTIONS_OF] : undefined;
    const rows = await this.store.auditEvents(ClinicScope.of(principal), {
      actorId: query.actorId,
      action: query.action,
      ...(filedUnder ? { actions: filedUnder } : { resourceType: kind }),
      resourceId: query.resourceId,
      from,
      to,
      after,
      limit: limit + 1,
    });
    return toPage(
      rows,
      limit,
      (row) => ({
        id: row.uid,
        occurredAt: row.occurred_at.toISOString(),
        actorId: row.actor_id,
        actorName: row.actor_name,
        clinicId: row.clinic_id,
        clinicName: row.clinic_name,
        action: row.action,
        resourceType: row.resource_type,
        resourceId: row.resource_id,
        outcome: row.outcome,
        ip: row.ip,
        requestId: row.request_id,
        details: row.details,
      }),
      (row) => [row.cursor_ts, row.id],
      'audit-events',
    );
  }
}
