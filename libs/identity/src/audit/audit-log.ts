import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RequestContext } from '@referloop/common';
import { DataSource, type EntityManager } from 'typeorm';

export type AuditResource = 'patient' | 'referral' | 'attachment' | 'consent';
export type AuditOutcome = 'success' | 'denied' | 'not_found';

export interface AuditEntry {
  action: string;
  resourceType: AuditResource;
  resourceId?: string | null;
  outcome?: AuditOutcome;
  details?: Record<string, unknown>;
}

/**
 * Appends audit events. Actor, clinic, IP and request id come from the request context.
 * Pass the transaction's manager so a change and its audit row commit together.
 */
@Injectable()
export class AuditLog {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(entry: AuditEntry, manager: EntityManager = this.db.manager): Promise<void> {
    const store = RequestContext.current();
    await manager.query(
      `INSERT INTO audit_events (actor_id, clinic_id, action, resource_type, resource_id, outcome, ip, request_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        store?.principal?.userId ?? null,
        store?.principal?.clinicId ?? null,
        entry.action,
        entry.resourceType,
        entry.resourceId ?? null,
        entry.outcome ?? 'success',
        store?.ip ?? null,
        store?.requestId ?? null,
        entry.details ?? null,
      ],
    );
  }
}
