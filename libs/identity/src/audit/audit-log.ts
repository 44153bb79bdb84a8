import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RequestContext } from '@referloop/common';
import { queryRows, type SqlParams } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';

export type AuditResource = 'patient' | 'referral' | 'attachment' | 'consent' | 'user';
export type AuditOutcome = 'success' | 'denied' | 'not_found';

export interface AuditEntry {
  action: string;
  resourceType: AuditResource;
  resourceId?: string | null;
  outcome?: AuditOutcome;
  details?: Record<string, unknown>;
  /** Who acted and for which clinic, when there is no signed-in caller yet (sign-in); else the caller. */
  actorId?: string | null;
  clinicId?: string | null;
}

/** audit_events columns in the order {@link AuditLog} writes them, with their types (for casts in `INSERT … SELECT`). */
const AUDIT_COLUMNS = [
  ['actor_id', 'uuid'],
  ['clinic_id', 'uuid'],
  ['action', 'text'],
  ['resource_type', 'text'],
  ['resource_id', 'uuid'],
  ['outcome', 'text'],
  ['ip', 'text'],
  ['request_id', 'text'],
  ['details', 'jsonb'],
] as const;
const COLUMN_LIST = AUDIT_COLUMNS.map(([name]) => name).join(', ');
const INSERT_SQL = `INSERT INTO audit_events (${COLUMN_LIST}) VALUES (${AUDIT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;

/**
 * Appends audit events. Actor, clinic, IP and request id come from the request context.
 * Pass the transaction's manager so a change and its audit row commit together.
 */
@Injectable()
export class AuditLog {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(entry: AuditEntry, manager: EntityManager = this.db.manager): Promise<void> {
    // Every read of a patient or a referral writes one: prepared once per connection.
    await queryRows(manager, INSERT_SQL, this.values(entry), { prepare: true });
  }

  /**
   * The same row as {@link record}, as an `INSERT … SELECT` for a data-modifying CTE, so a change
   * and its audit row are written by one statement: one row per row of `from`, whose column
   * `resourceIdColumn` is the resource (and no row when the change matched nothing).
   */
  insertSql(entry: Omit<AuditEntry, 'resourceId'>, from: string, resourceIdColumn: string, params: SqlParams): string {
    const values = this.values(entry);
    const select = AUDIT_COLUMNS.map(([name, type], i) =>
      name === 'resource_id' ? resourceIdColumn : params.add(values[i], type),
    );
    return `INSERT INTO audit_events (${COLUMN_LIST}) SELECT ${select.join(', ')} FROM ${from}`;
  }

  /** The row's values in AUDIT_COLUMNS order. */
  private values(entry: AuditEntry): unknown[] {
    const store = RequestContext.current();
    return [
      entry.actorId !== undefined ? entry.actorId : (store?.principal?.userId ?? null),
      entry.clinicId !== undefined ? entry.clinicId : (store?.principal?.clinicId ?? null),
      entry.action,
      entry.resourceType,
      entry.resourceId ?? null,
      entry.outcome ?? 'success',
      store?.ip ?? null,
      store?.requestId ?? null,
      entry.details ?? null,
    ];
  }
}
