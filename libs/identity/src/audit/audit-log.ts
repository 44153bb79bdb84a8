import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AuditAction, Clock, type Principal, type RequestClient } from '@referloop/common';
import { queryRows, Sql, sql } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';

/** What an audit event is about (its `resourceId` is one of these). */
export const AUDIT_RESOURCES = ['patient', 'referral', 'user', 'webhook'] as const;
export type AuditResource = (typeof AUDIT_RESOURCES)[number];

/**
 * The events on a referral's attachments and a patient's consents are filed under their referral
 * and their patient (so a referral's or a patient's history holds them); the audit filter also
 * finds them by their own kind, by these actions.
 */
export const AUDIT_ACTIONS_OF = {
  attachment: ['attachment.upload', 'attachment.remove', 'attachment.download'],
  consent: ['consent.grant', 'consent.revoke'],
} as const satisfies Record<string, readonly AuditAction[]>;

/** What the audit log can be filtered by: the resources, and the kinds filed under them. */
export const AUDIT_FILTER_RESOURCES = [
  ...AUDIT_RESOURCES,
  ...(Object.keys(AUDIT_ACTIONS_OF) as (keyof typeof AUDIT_ACTIONS_OF)[]),
];
export type AuditFilterResource = (typeof AUDIT_FILTER_RESOURCES)[number];
export type AuditOutcome = 'success' | 'denied' | 'not_found';

/**
 * Who caused an audit event: the signed-in caller (actor, clinic and their request), the request's
 * client alone before anyone is signed in, or `null` for the system (a timer).
 */
export type AuditActor = Principal | RequestClient | null;

export interface AuditEntry {
  by: AuditActor;
  action: AuditAction;
  resourceType: AuditResource;
  resourceId?: string | null;
  outcome?: AuditOutcome;
  details?: Record<string, unknown>;
  /**
   * For a read of referrals: the clinics party to them (a referral's sender clinic, and its
   * recipient clinic once sent). Each other than the actor's own also sees the entry in its audit
   * log; for a list read, with the ids of the page that concern it.
   */
  partyClinics?: PartyClinic[];
  /** Who acted and for which clinic, when `by` is not a signed-in caller (sign-in); else the caller. */
  actorId?: string | null;
  clinicId?: string | null;
  /**
   * When it happened: the injected Clock's now unless given (a change passes the `now` it wrote,
   * so the audit row and the change carry the same instant). Never the database's clock.
   */
  occurredAt?: Date;
}

/**
 * The audit row written with a change (by {@link AuditLog.insert}): its resource and time are the
 * change's, and its details may be SQL read from the changed row.
 */
export type ChangeAuditEntry = Omit<AuditEntry, 'resourceId' | 'partyClinics' | 'occurredAt' | 'details'> & {
  details?: AuditEntry['details'] | Sql;
};

export interface PartyClinic {
  clinicId: string;
  /** For a list read: the ids shown that concern this clinic. */
  ids?: string[];
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
  ['occurred_at', 'timestamptz'],
] as const;
const AUDIT_COLUMN_NAMES = AUDIT_COLUMNS.map(([name]) => name);
const COLUMN_LIST = sql.join(AUDIT_COLUMN_NAMES.map((name) => sql.identifier(AUDIT_COLUMN_NAMES, name)));
/** The typed parameters of one row, in AUDIT_COLUMNS order. */
const valueList = (values: unknown[]) => sql.join(AUDIT_COLUMNS.map(([, type], i) => sql.param(values[i], type)));

/** One audit row (hot: every read of a patient or a referral writes one; prepared). */
const insertOne = (values: unknown[]) => sql`INSERT INTO audit_events (${COLUMN_LIST}) VALUES (${valueList(values)})`;
/** The same, with the rows that show it to the other clinics party to it. */
const insertWithParties = (values: unknown[], others: PartyClinic[]) =>
  sql`WITH audit AS (INSERT INTO audit_events (${COLUMN_LIST}) VALUES (${valueList(values)})
                     RETURNING id, occurred_at, actor_id, action, resource_type)
      INSERT INTO audit_event_clinics (audit_event_id, clinic_id, occurred_at, actor_id, action, resource_type, resource_ids)
      SELECT audit.id, (p->>'clinicId')::uuid, audit.occurred_at, audit.actor_id, audit.action, audit.resource_type,
             CASE WHEN p ? 'ids' THEN ARRAY(SELECT jsonb_array_elements_text(p->'ids'))::uuid[] END
        FROM audit, jsonb_array_elements(${sql.param(JSON.stringify(others), 'jsonb')}) p`;

/**
 * Appends audit events. Actor, clinic, IP and request id come from the entry's `by`.
 * Pass the transaction's manager so a change and its audit row commit together.
 */
@Injectable()
export class AuditLog {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditEntry, manager: EntityManager = this.db.manager): Promise<void> {
    const own = principalOf(entry.by)?.clinicId;
    const others = (entry.partyClinics ?? []).filter((party) => party.clinicId !== own);
    // Every read of a patient or a referral writes one: prepared once per connection.
    const values = this.values(entry, entry.details, entry.occurredAt ?? this.clock.now());
    await queryRows(manager, others.length === 0 ? insertOne(values) : insertWithParties(values, others), { prepare: true });
  }

  /**
   * The same row as {@link record}, as an `INSERT … SELECT` for a data-modifying CTE, so a change
   * and its audit row are written by one statement: one row per row of `from`, whose column
   * `resourceId` is the resource (and no row when the change matched nothing). `details` may be SQL
   * read from `from`'s row (what the change found). `occurredAt` is the Clock's now the statement
   * writes its change with (e.g. the referral's `updated_at`).
   */
  insert(entry: ChangeAuditEntry, from: Sql, resourceId: Sql, occurredAt: Date): Sql {
    const { details } = entry;
    const values = this.values(entry, details instanceof Sql ? undefined : details, occurredAt);
    const select = AUDIT_COLUMNS.map(([name, type], i) =>
      name === 'resource_id' ? resourceId : name === 'details' && details instanceof Sql ? details : sql.param(values[i], type),
    );
    return sql`INSERT INTO audit_events (${COLUMN_LIST})
               SELECT ${sql.join(select)} FROM ${from}`;
  }

  /**
   * The row's values in AUDIT_COLUMNS order. `details` and `occurredAt` come apart, not in a copy of
   * `entry` with them added: that copy got a hidden class per call (docs/architecture.md).
   */
  private values(
    entry: Omit<AuditEntry, 'details' | 'occurredAt'>,
    details: Record<string, unknown> | undefined,
    occurredAt: Date,
  ): unknown[] {
    const principal = principalOf(entry.by);
    const client = principal ? principal.client : (entry.by as RequestClient | null);
    return [
      entry.actorId !== undefined ? entry.actorId : (principal?.userId ?? null),
      entry.clinicId !== undefined ? entry.clinicId : (principal?.clinicId ?? null),
      entry.action,
      entry.resourceType,
      entry.resourceId ?? null,
      entry.outcome ?? 'success',
      client?.ip ?? null,
      client?.requestId ?? null,
      details ?? null,
      occurredAt,
    ];
  }
}

function principalOf(actor: AuditActor): Principal | undefined {
  return actor !== null && 'userId' in actor ? actor : undefined;
}
