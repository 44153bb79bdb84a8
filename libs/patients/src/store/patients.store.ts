import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ConsentScope } from '@referloop/common';
import { containsPattern, isUniqueViolation, queryRows, sql } from '@referloop/database';
import type { ClinicScope } from '@referloop/identity';
import { DataSource, type EntityManager } from 'typeorm';
import type { ConsentEntity } from '../entities/consent.entity';
import type { PatientEntity } from '../entities/patient.entity';

/** A patient row, columns aliased to the entity's property names. */
export type PatientRow = Omit<PatientEntity, never>;
/** A consent row, columns aliased to the entity's property names. */
export type ConsentRow = Omit<ConsentEntity, never>;

/** The patient columns that are written (all but id, clinic, creator and the timestamps). */
export type PatientFields = Pick<
  PatientEntity,
  'firstName' | 'lastName' | 'dateOfBirth' | 'email' | 'phone' | 'preferredContact'
>;

/** Each writable property and its column. */
const PATIENT_FIELD_COLUMNS = {
  firstName: 'first_name',
  lastName: 'last_name',
  dateOfBirth: 'date_of_birth',
  email: 'email',
  phone: 'phone',
  preferredContact: 'preferred_contact',
} as const satisfies Record<keyof PatientFields, string>;
const PATIENT_COLUMN_NAMES = Object.values(PATIENT_FIELD_COLUMNS);
const PATIENT_FIELDS = Object.keys(PATIENT_FIELD_COLUMNS) as (keyof PatientFields)[];

const PATIENT_COLUMNS = sql`p.id, p.clinic_id AS "clinicId", p.first_name AS "firstName", p.last_name AS "lastName",
  p.date_of_birth::text AS "dateOfBirth", p.email, p.phone, p.preferred_contact AS "preferredContact",
  p.source_referral_id AS "sourceReferralId", p.created_by AS "createdBy", p.created_at AS "createdAt", p.updated_at AS "updatedAt"`;
const CONSENT_COLUMNS = sql`c.id, c.patient_id AS "patientId", c.clinic_id AS "clinicId", c.scope, c.granted_at AS "grantedAt",
  c.recorded_by AS "recordedBy", c.revoked_at AS "revokedAt", c.revoked_by AS "revokedBy", c.created_at AS "createdAt"`;

/** The patient list's order, as its index has it (patients_clinic_name_idx). */
const PATIENT_ORDER = sql`name_order(p.last_name), name_order(p.first_name), p.id`;

/**
 * Every statement on `patients` and `patient_consents`. Both are clinic-owned: each method takes the
 * caller's {@link ClinicScope}, and another clinic's row is simply not there (404). The one
 * exception is {@link PatientsStore.unsubscribe}, where a signed unsubscribe token stands for the
 * patient and there is no signed-in caller.
 */
@Injectable()
export class PatientsStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(scope: ClinicScope, manager: EntityManager, patient: PatientFields, now: Date): Promise<PatientRow> {
    const [row] = await queryRows<PatientRow>(
      manager,
      sql`INSERT INTO patients AS p (clinic_id, created_by, created_at, updated_at,
                                  ${sql.join(PATIENT_FIELDS.map((field) => sql.identifier(PATIENT_COLUMN_NAMES, PATIENT_FIELD_COLUMNS[field])))})
          VALUES (${sql.param(scope.clinicId, 'uuid')}, ${sql.param(scope.userId, 'uuid')}, ${sql.param(now, 'timestamptz')},
                  ${sql.param(now, 'timestamptz')}, ${sql.join(PATIENT_FIELDS.map((field) => sql`${patient[field]}`))})
          RETURNING ${PATIENT_COLUMNS}`,
    );
    return row;
  }

  /** A patient of the caller's clinic, or null. */
  async get(scope: ClinicScope, id: string, manager: EntityManager = this.db.manager): Promise<PatientRow | null> {
    const [row] = await queryRows<PatientRow>(
      manager,
      sql`SELECT ${PATIENT_COLUMNS} FROM patients p WHERE p.id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`p.clinic_id`)}`,
    );
    return row ?? null;
  }

  /**
   * Writes `changes` to one of the caller's clinic's patients; null when there is none such.
   * `changed` names the fields whose value the write changed (a form sends every field).
   */
  async update(
    scope: ClinicScope,
    manager: EntityManager,
    id: string,
    changes: Partial<PatientFields>,
    now: Date,
  ): Promise<{ row: PatientRow; changed: (keyof PatientFields)[] } | null> {
    const fields = PATIENT_FIELDS.filter((field) => changes[field] !== undefined);
    const column = (field: keyof PatientFields) => sql.identifier(PATIENT_COLUMN_NAMES, PATIENT_FIELD_COLUMNS[field]);
    const sets = fields.map((field) => sql`${column(field)} = ${changes[field]}`);
    // `old` is the row as the statement found it (locked): RETURNING sees the new one as p.
    const changed = fields.map(
      (field) => sql`CASE WHEN old.${column(field)} IS DISTINCT FROM p.${column(field)} THEN ${field}::text END`,
    );
    const [updated] = await queryRows<PatientRow & { changed: (keyof PatientFields)[] }>(
      manager,
      sql`WITH old AS (
            SELECT * FROM patients WHERE id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`clinic_id`)} FOR NO KEY UPDATE
          )
          UPDATE patients p SET ${sql.join([...sets, sql`updated_at = ${sql.param(now, 'timestamptz')}`])}
            FROM old WHERE p.id = old.id
          RETURNING ${PATIENT_COLUMNS}, array_remove(ARRAY[${sql.join([...changed, sql`NULL`])}]::text[], NULL) AS changed`,
    );
    if (!updated) return null;
    const { changed: changedFields, ...row } = updated;
    return { row, changed: changedFields };
  }

  /**
   * The caller's clinic's patients by (last name, first name, id) as people read names (case and
   * accents aside, the NameOrder migration), `limit` rows after the keyset (the last row's names and id);
   * each word of `words` must be in the first or the last name, accents aside.
   */
  async page(
    scope: ClinicScope,
    query: { words: string[]; after?: [string, string, string]; limit: number },
  ): Promise<PatientRow[]> {
    const conditions = [
      scope.owns(sql`p.clinic_id`),
      ...query.words.map((word) => {
        const pattern = containsPattern(word);
        // Accents and case aside ("jose" finds "José", "josé" finds "Jose"): name_order is lower(unaccent()),
        // so this is unaccent(name) ILIKE unaccent(pattern), on the expression the trigram indexes hold.
        return sql`(name_order(p.first_name) LIKE name_order(${pattern}) OR name_order(p.last_name) LIKE name_order(${pattern}))`;
      }),
    ];
    if (query.after) {
      const [last, first, id] = query.after;
      conditions.push(sql`(${PATIENT_ORDER}) > (name_order(${last}), name_order(${first}), ${sql.param(id, 'uuid')})`);
    }
    const where = sql.join(conditions, sql` AND `);
    // A word of three characters or more is looked up in the names' trigram indexes (PatientNameSearch):
    // every match first, then the page sorted from them. Walking the list's index until a page has
    // matched reads every name sorted before the matches, and a surname's matches all sort together
    // (a search late in the alphabet read most of a 150k-patient clinic: 1–3 s). A shorter word has
    // no trigram to look up: it matches many names, so walking the list's index finds a page soon.
    const looksUp = query.words.some((word) => [...word].length >= 3);
    return queryRows<PatientRow>(
      this.db.manager,
      looksUp
        ? sql`WITH matches AS MATERIALIZED (SELECT * FROM patients p WHERE ${where})
              SELECT ${PATIENT_COLUMNS} FROM matches p ORDER BY ${PATIENT_ORDER} LIMIT ${query.limit}`
        : sql`SELECT ${PATIENT_COLUMNS} FROM patients p WHERE ${where} ORDER BY ${PATIENT_ORDER} LIMIT ${query.limit}`,
    );
  }

  /** The consents of patients of the caller's clinic, oldest first. */
  async consentsOf(scope: ClinicScope, patientIds: string[], manager: EntityManager = this.db.manager): Promise<ConsentRow[]> {
    if (patientIds.length === 0) return [];
    return queryRows<ConsentRow>(
      manager,
      sql`SELECT ${CONSENT_COLUMNS} FROM patient_consents c
           WHERE c.patient_id = ANY(${sql.param(patientIds, 'uuid[]')}) AND ${scope.owns(sql`c.clinic_id`)}
           ORDER BY c.created_at, c.id`,
    );
  }

  /**
   * Records a consent for a patient of the caller's clinic (`recordedBy` the caller). Granting a
   * scope that is already active answers the active consent (`created: false`); a savepoint keeps
   * a concurrent duplicate from aborting the surrounding transaction.
   */
  async grant(
    scope: ClinicScope,
    manager: EntityManager,
    patientId: string,
    consent: { scope: ConsentScope; grantedAt: Date },
    now: Date,
  ): Promise<{ consent: ConsentRow; created: boolean }> {
    await queryRows(manager, sql`SAVEPOINT grant_consent`);
    try {
      const [row] = await queryRows<ConsentRow>(
        manager,
        sql`INSERT INTO patient_consents AS c (patient_id, clinic_id, scope, granted_at, recorded_by, created_at)
            VALUES (${sql.param(patientId, 'uuid')}, ${sql.param(scope.clinicId, 'uuid')}, ${consent.scope},
                    ${sql.param(consent.grantedAt, 'timestamptz')}, ${sql.param(scope.userId, 'uuid')}, ${sql.param(now, 'timestamptz')})
            RETURNING ${CONSENT_COLUMNS}`,
      );
      await queryRows(manager, sql`RELEASE SAVEPOINT grant_consent`);
      return { consent: row, created: true };
    } catch (error) {
      await queryRows(manager, sql`ROLLBACK TO SAVEPOINT grant_consent`);
      if (!isUniqueViolation(error, 'patient_consents_active_key')) throw error;
      const [active] = await queryRows<ConsentRow>(
        manager,
        sql`SELECT ${CONSENT_COLUMNS} FROM patient_consents c
             WHERE c.patient_id = ${sql.param(patientId, 'uuid')} AND ${scope.owns(sql`c.clinic_id`)}
               AND c.scope = ${consent.scope} AND c.revoked_at IS NULL`,
      );
      return { consent: active, created: false };
    }
  }

  /** A consent of a patient of the caller's clinic, locked; null when there is none such. */
  async lockConsent(
    scope: ClinicScope,
    manager: EntityManager,
    patientId: string,
    consentId: string,
  ): Promise<ConsentRow | null> {
    const [row] = await queryRows<ConsentRow>(
      manager,
      sql`SELECT ${CONSENT_COLUMNS} FROM patient_consents c
           WHERE c.id = ${sql.param(consentId, 'uuid')} AND c.patient_id = ${sql.param(patientId, 'uuid')}
             AND ${scope.owns(sql`c.clinic_id`)}
             FOR UPDATE`,
    );
    return row ?? null;
  }

  /** Revokes a consent of the caller's clinic, by the caller. */
  async revoke(scope: ClinicScope, manager: EntityManager, consentId: string, now: Date): Promise<ConsentRow | null> {
    const [row] = await queryRows<ConsentRow>(
      manager,
      sql`UPDATE patient_consents c SET revoked_at = ${sql.param(now, 'timestamptz')}, revoked_by = ${sql.param(scope.userId, 'uuid')}
           WHERE c.id = ${sql.param(consentId, 'uuid')} AND ${scope.owns(sql`c.clinic_id`)}
          RETURNING ${CONSENT_COLUMNS}`,
    );
    return row ?? null;
  }

  /**
   * Whether the patient of the `patient_notifications` consent `consentId` still has that scope in
   * effect (that consent or one recorded since); null when there is no such consent.
   */
  async notificationConsentInEffect(consentId: string): Promise<boolean | null> {
    const [row] = await queryRows<{ in_effect: boolean }>(
      this.db.manager,
      sql`SELECT EXISTS (SELECT 1 FROM patient_consents a
                          WHERE a.patient_id = c.patient_id AND a.scope = 'patient_notifications' AND a.revoked_at IS NULL) AS in_effect
            FROM patient_consents c WHERE c.id = ${sql.param(consentId, 'uuid')} AND c.scope = 'patient_notifications'`,
    );
    return row ? row.in_effect : null;
  }

  /**
   * The patient's one-click unsubscribe (no signed-in caller: the signed token stood for the
   * patient). The patient of the `patient_notifications` consent `consentId`, with the consent of
   * that scope in effect for them now (locked): that one, or one recorded since. Null when there is
   * no such consent.
   */
  async lockNotificationConsent(
    manager: EntityManager,
    consentId: string,
  ): Promise<{ patient_id: string; clinic_id: string; active_id: string | null } | null> {
    const [linked] = await queryRows<{ patient_id: string; clinic_id: string }>(
      manager,
      sql`SELECT patient_id, clinic_id FROM patient_consents
           WHERE id = ${sql.param(consentId, 'uuid')} AND scope = 'patient_notifications'`,
    );
    if (!linked) return null;
    // Revoked by a click that held the lock first: no row once it has committed.
    const [active] = await queryRows<{ id: string }>(
      manager,
      sql`SELECT id FROM patient_consents
           WHERE patient_id = ${sql.param(linked.patient_id, 'uuid')} AND scope = 'patient_notifications' AND revoked_at IS NULL
           FOR UPDATE`,
    );
    return { ...linked, active_id: active?.id ?? null };
  }

  /** …and revokes it, with no actor. */
  async unsubscribe(manager: EntityManager, consentId: string, now: Date): Promise<void> {
    await queryRows(
      manager,
      sql`UPDATE patient_consents SET revoked_at = ${sql.param(now, 'timestamptz')} WHERE id = ${sql.param(consentId, 'uuid')}`,
    );
  }
}
