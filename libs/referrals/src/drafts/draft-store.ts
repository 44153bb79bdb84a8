import { Injectable } from '@nestjs/common';
import { PRACTITIONER_ROLES, type ReferralKind, type Role } from '@referloop/common';
import { outboxInsert, queryRows, Sql, sql } from '@referloop/database';
import { AuditLog, type ClinicScope } from '@referloop/identity';
import type { EntityManager } from 'typeorm';
import type { MaintenancePlan } from '../entities/referral.entity';
import { detailedReferralViewSql, type ReferralRow } from '../referral-rows';
import type { ReferralStatus } from '../state-machine/referral-state-machine';

/**
 * A draft as it is stored, with every fact the create-time rules read for the merged draft: the
 * sender's role, whether the (new or current) patient belongs to the caller's clinic, the (new or
 * current) recipient as the directory lists them, and the role of a pending invite.
 */
export interface DraftFacts {
  id: string;
  status: ReferralStatus;
  version: number;
  kind: ReferralKind;
  patient_id: string;
  sender_id: string;
  sender_clinic_id: string;
  recipient_id: string | null;
  recipient_clinic_id: string | null;
  recipient_invite_id: string | null;
  sent_at: Date | null;
  priority: 'routine' | 'urgent';
  reason: string;
  body_regions: string[];
  observations: string | null;
  pain_level: number | null;
  onset_date: string | null;
  needed_by: string | null;
  red_flags: string[];
  emergency_advice_given: boolean;
  plan: MaintenancePlan | null;
  previous_id: string | null;
  sender_role: Role;
  /** The merged patient is one of the caller's clinic. */
  patient_found: boolean;
  /** The merged directory recipient, when listed (a practitioner who joined, licensed today, active); null otherwise. */
  directory_role: Role | null;
  directory_clinic_id: string | null;
  directory_licence_expires_on: string | null;
  directory_accepting: boolean | null;
  /** The role the current pending invite was made for (null when the recipient is a directory practitioner). */
  invite_role: Role | null;
}

/** The columns a draft edit may write: a fixed list, so only these names ever become SQL text. */
export const DRAFT_COLUMNS = [
  'kind',
  'patient_id',
  'recipient_id',
  'recipient_clinic_id',
  'recipient_invite_id',
  'priority',
  'reason',
  'body_regions',
  'observations',
  'pain_level',
  'onset_date',
  'needed_by',
  'red_flags',
  'emergency_advice_given',
  'plan',
] as const;
export type DraftColumn = (typeof DRAFT_COLUMNS)[number];

/** The cast of each column's parameter. */
const CASTS: Record<DraftColumn, Parameters<typeof sql.param>[1]> = {
  kind: 'text',
  patient_id: 'uuid',
  recipient_id: 'uuid',
  recipient_clinic_id: 'uuid',
  recipient_invite_id: 'uuid',
  priority: 'text',
  reason: 'text',
  body_regions: 'text[]',
  observations: 'text',
  pain_level: 'int',
  onset_date: 'date',
  needed_by: 'date',
  red_flags: 'text[]',
  emergency_advice_given: 'boolean',
  plan: 'jsonb',
};

/** What an edit writes with its change: the event's data (names of the changed fields, never their values). */
export interface DraftEdit {
  id: string;
  expectedVersion: number;
  actorId: string;
  columns: Partial<Record<DraftColumn, unknown>>;
  changedFields: string[];
}

/** The SQL of draft edits (`PATCH /referrals/:id`). */
@Injectable()
export class DraftStore {
  constructor(private readonly audit: AuditLog) {}

  /**
   * The referral and the facts for its merged draft, in one read: `patientId` and `recipientId` are
   * the values the edit gives (or undefined for the current ones). The patient is looked up in the
   * caller's clinic only.
   */
  async facts(
    manager: EntityManager,
    scope: ClinicScope,
    id: string,
    lookup: { patientId?: string; recipientId?: string | null; today: string },
  ): Promise<DraftFacts | undefined> {
    const patientId = lookup.patientId === undefined ? sql`r.patient_id` : sql.param(lookup.patientId, 'uuid');
    const recipientId = lookup.recipientId === undefined ? sql`r.recipient_id` : sql.param(lookup.recipientId, 'uuid');
    const [row] = await queryRows<DraftFacts>(
      manager,
      sql`SELECT r.id, r.status, r.version, r.kind, r.patient_id, r.sender_id, r.sender_clinic_id, r.recipient_id,
                 r.recipient_clinic_id, r.recipient_invite_id, r.sent_at, r.priority, r.reason, r.body_regions, r.observations,
                 r.pain_level, r.onset_date::text AS onset_date, r.needed_by::text AS needed_by, r.red_flags,
                 r.emergency_advice_given, r.plan, r.previous_id, s.role AS sender_role,
                 EXISTS (SELECT 1 FROM patients p WHERE p.id = ${patientId} AND ${scope.owns(sql`p.clinic_id`)}) AS patient_found,
                 t.role AS directory_role, t.clinic_id AS directory_clinic_id,
                 t.licence_expires_on::text AS directory_licence_expires_on, t.accepting_referrals AS directory_accepting,
                 ri.role AS invite_role
            FROM referrals r
            JOIN users s ON s.id = r.sender_id
            LEFT JOIN users t ON t.id = ${recipientId} AND t.role = ANY(${sql.param(PRACTITIONER_ROLES, 'text[]')})
                             AND t.licence_expires_on >= ${sql.param(lookup.today, 'date')}
                             AND t.activated_at IS NOT NULL AND t.deactivated_at IS NULL
            LEFT JOIN referral_invites ri ON ri.id = r.recipient_invite_id AND r.recipient_id IS NULL
           WHERE r.id = ${sql.param(id, 'uuid')}`,
      { prepare: true },
    );
    return row;
  }

  /**
   * Writes the edit of a draft still at `expectedVersion` and what goes with it as ONE statement:
   * the update (version + 1), one `draft_updated` timeline event, its outbox row (ids only) and the
   * audit row; answers the detailed view row. No row when the draft moved on (another edit, a send):
   * nothing is written then.
   */
  async update(manager: EntityManager, edit: DraftEdit): Promise<ReferralRow | undefined> {
    const sets = DRAFT_COLUMNS.filter((column) => edit.columns[column] !== undefined).map(
      (column) => sql`${sql.identifier(DRAFT_COLUMNS, column)} = ${sql.param(edit.columns[column], CASTS[column])}`,
    );
    const event = {
      type: 'draft_updated',
      fromStatus: 'draft',
      toStatus: 'draft',
      actorId: edit.actorId,
    } as const;
    const [row] = await queryRows<ReferralRow>(
      manager,
      sql`WITH changed AS (
            UPDATE referrals SET ${sql.join([...sets, sql`version = version + 1`, sql`updated_at = now()`])}
             WHERE id = ${sql.param(edit.id, 'uuid')} AND version = ${sql.param(edit.expectedVersion, 'int')} AND status = 'draft'
            RETURNING *
          ),
          event AS (
            INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, data)
            SELECT id, ${sql.param(event.type, 'text')}, ${sql.param(event.fromStatus, 'text')}, ${sql.param(event.toStatus, 'text')},
                   ${sql.param(event.actorId, 'uuid')}, ${sql.param({ fields: edit.changedFields }, 'jsonb')}
              FROM changed
            RETURNING *
          ),
          outbox AS (${outboxInsert(
            sql`event`,
            { referralId: sql`referral_id`, referralEventId: sql`id` },
            {
              type: `referral.${event.type}`,
              payload: { fromStatus: event.fromStatus, toStatus: event.toStatus, actorId: event.actorId },
            },
          )}),
          audit AS (${this.audit.insert(
            { action: 'referral.update', resourceType: 'referral', details: { fields: edit.changedFields } },
            sql`changed`,
            sql`id`,
          )})
          ${Sql.from([detailedReferralViewSql('changed', 'event')], [])}`,
    );
    return row;
  }
}
