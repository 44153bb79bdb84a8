import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, PRACTITIONER_ROLES, type PractitionerRole, type Role } from '@referloop/common';
import { containsPattern, outboxRow, queryRows, sql, type Sql } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';
import { LiveSessions } from '../auth/live-sessions';
import type { ClinicScope } from '../tenancy/clinic-scope';
import type { ClinicSummaryFields, UserFields } from '../views';

/**
 * Every statement on `users` (and the postal centroids the directory measures from). Rows of the
 * caller's own clinic are read and written only with their {@link ClinicScope}; the reads across
 * clinics are the named methods {@link UsersStore.visiblePractitioner} and {@link UsersStore.directory},
 * which show only listed practitioners; the sign-in flows, which have no caller yet, use the
 * `account…` methods.
 */

/** A user row, columns aliased to the entity's property names (what `userView` takes). */
export type UserRow = Omit<UserFields, 'licenceVerifierName'> & { licenceVerifierName: string | null };

/** A user with their clinic's summary (the directory and the practitioner profile). */
export interface PractitionerRow extends UserRow {
  clinicName: string;
  clinicCity: string;
  clinicRegion: string;
  clinicPostalCode: string;
  clinicCountry: string;
}

/** The columns a new user row is written with. */
export interface NewUser {
  clinicId: string;
  email: string;
  passwordHash: string | null;
  fullName: string;
  role: Role;
  isAdmin?: boolean;
  licenceNumber?: string | null;
  licenceRegion?: string | null;
  licenceExpiresOn?: string | null;
  licenceVerifiedAt?: Date | null;
  licenceVerifiedBy?: string | null;
  specialties?: string[];
  languages?: string[];
  acceptingReferrals?: boolean;
  bio?: string | null;
  activatedAt: Date | null;
}

/** The profile columns a practitioner, an admin or a re-sent invitation may change. */
export interface UserChanges {
  fullName?: string;
  role?: PractitionerRole;
  specialties?: string[];
  languages?: string[];
  acceptingReferrals?: boolean;
  bio?: string | null;
  isAdmin?: boolean;
  licenceNumber?: string;
  licenceRegion?: string;
  licenceExpiresOn?: string;
  licenceVerifiedAt?: Date;
  licenceVerifiedBy?: string;
  deactivatedAt?: Date | null;
}

/** Each changeable property and its column. */
const CHANGE_COLUMNS = {
  fullName: 'full_name',
  role: 'role',
  specialties: 'specialties',
  languages: 'languages',
  acceptingReferrals: 'accepting_referrals',
  bio: 'bio',
  isAdmin: 'is_admin',
  licenceNumber: 'licence_number',
  licenceRegion: 'licence_region',
  licenceExpiresOn: 'licence_expires_on',
  licenceVerifiedAt: 'licence_verified_at',
  licenceVerifiedBy: 'licence_verified_by',
  deactivatedAt: 'deactivated_at',
} as const satisfies Record<keyof UserChanges, string>;
const CHANGE_COLUMN_NAMES = Object.values(CHANGE_COLUMNS);

/**
 * The user `u`'s columns with their clinic `c`'s zone (the calendar their licence expires on) and
 * the name of the admin `v` who attested the licence: read {@link FROM_USERS}.
 */
const USER_COLUMNS = sql`u.id, u.clinic_id AS "clinicId", c.timezone AS "clinicTimezone", u.email, u.full_name AS "fullName", u.role,
  u.licence_number AS "licenceNumber", u.licence_region AS "licenceRegion",
  u.licence_expires_on::text AS "licenceExpiresOn", u.licence_verified_at AS "licenceVerifiedAt",
  u.licence_verified_by AS "licenceVerifiedBy", v.full_name AS "licenceVerifierName",
  u.is_admin AS "isAdmin", u.specialties, u.languages, u.accepting_referrals AS "acceptingReferrals", u.bio,
  u.activated_at AS "activatedAt", u.deactivated_at AS "deactivatedAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt"`;
/** The clinic `c`'s summary columns. */
const CLINIC_SUMMARY_COLUMNS = sql`c.name AS "clinicName", c.address_city AS "clinicCity", c.address_region AS "clinicRegion",
  c.address_postal_code AS "clinicPostalCode", c.address_country AS "clinicCountry"`;
const FROM_USERS = sql`users u JOIN clinics c ON c.id = u.clinic_id LEFT JOIN users v ON v.id = u.licence_verified_by`;

/**
 * Listed in the directory: a practitioner who has joined, is active, and whose licence has not
 * lapsed at `now` on their clinic `c`'s calendar (licenceLapsed's rule, in SQL).
 */
const listed = (now: Date, roles: readonly string[] = PRACTITIONER_ROLES) =>
  sql`u.role = ANY(${sql.param(roles, 'text[]')})
      AND u.licence_expires_on >= (${sql.param(now, 'timestamptz')} AT TIME ZONE c.timezone)::date
      AND u.activated_at IS NOT NULL AND u.deactivated_at IS NULL`;

/**
 * GET /practitioners/:id's read (hot, fixed text, prepared): any user of the caller's own clinic
 * (invitees too), or a listed practitioner of another clinic.
 */
const visiblePractitionerSql = (scope: ClinicScope, id: string, now: Date) =>
  sql`SELECT ${USER_COLUMNS}, ${CLINIC_SUMMARY_COLUMNS}
        FROM ${FROM_USERS}
       WHERE u.id = ${sql.param(id, 'uuid')}
         AND (${scope.owns(sql`u.clinic_id`)} OR (${listed(now)}))`;

/** A practitioner listed in the directory, of any clinic (the caller's own included): what may be saved as a partner. */
const listedPractitionerSql = (id: string, now: Date) =>
  sql`SELECT ${USER_COLUMNS}, ${CLINIC_SUMMARY_COLUMNS}
        FROM ${FROM_USERS}
       WHERE u.id = ${sql.param(id, 'uuid')} AND ${listed(now)}`;

export interface DirectoryFilter {
  roles: readonly PractitionerRole[];
  /** The instant whose calendar day, in each practitioner's clinic's zone, their licence must reach. */
  now: Date;
  specialty?: string;
  city?: string;
  postalCode?: string;
  acceptingReferrals?: boolean;
  /** Words found anywhere in the name, the clinic's name or the bio. */
  q?: string;
  near?: { latitude: number; longitude: number; radiusKm?: number; unknownKm: number };
  /** The keyset values after which the page starts: (rank, [distance,] full name, id). */
  after?: unknown[];
  limit: number;
}

export type DirectoryRow = PractitionerRow & { partnerRank: number; distanceKm: number | null };

/** The clinic summary of a {@link PractitionerRow}. */
export function clinicSummary(row: PractitionerRow): ClinicSummaryFields {
  return {
    id: row.clinicId,
    name: row.clinicName,
    addressCity: row.clinicCity,
    addressRegion: row.clinicRegion,
    addressPostalCode: row.clinicPostalCode,
    addressCountry: row.clinicCountry,
  };
}

/** 422 `last_admin`: the change would leave the clinic without an active admin. */
export const lastAdmin = () => new AppError('last_admin', 'The clinic must keep at least one active admin');

/**
 * A postal code as the directory compares it: no spaces, upper case, and a US ZIP+4 as its ZIP
 * ("78701-1234", "787011234" and "78701" are one area, as `near` reads them).
 */
const postalKey = (code: Sql): Sql => sql`regexp_replace(upper(replace(${code}, ' ', '')), '^([0-9]{5})-?[0-9]{4}$', '\\1')`;

@Injectable()
export class UsersStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly liveSessions: LiveSessions,
  ) {}

  /** A user of the caller's clinic, optionally locked for the transaction; null for anyone else. */
  async own(scope: ClinicScope, id: string, manager: EntityManager = this.db.manager, lock = false): Promise<UserRow | null> {
    const [row] = await queryRows<UserRow>(
      manager,
      sql`SELECT ${USER_COLUMNS} FROM ${FROM_USERS}
           WHERE u.id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`u.clinic_id`)}
           ${lock ? sql`FOR UPDATE OF u` : sql.empty}`,
    );
    return row ?? null;
  }

  /** The signed-in caller's own row with their clinic's summary. */
  async self(scope: ClinicScope): Promise<PractitionerRow | null> {
    const [row] = await queryRows<PractitionerRow>(
      this.db.manager,
      sql`SELECT ${USER_COLUMNS}, ${CLINIC_SUMMARY_COLUMNS}
            FROM ${FROM_USERS}
           WHERE u.id = ${sql.param(scope.userId, 'uuid')} AND ${scope.owns(sql`u.clinic_id`)}`,
    );
    return row ?? null;
  }

  /** The caller's own email and password hash (to check their current password, and a new one against the address). */
  async ownCredentials(scope: ClinicScope): Promise<{ email: string; passwordHash: string | null } | null> {
    const [row] = await queryRows<{ email: string; password_hash: string | null }>(
      this.db.manager,
      sql`SELECT email, password_hash FROM users WHERE id = ${sql.param(scope.userId, 'uuid')} AND ${scope.owns(sql`clinic_id`)}`,
    );
    return row ? { email: row.email, passwordHash: row.password_hash } : null;
  }

  /** Applies `changes` to a user of the caller's clinic and answers the row; null when it is not theirs. */
  async updateOwn(
    scope: ClinicScope,
    id: string,
    changes: UserChanges,
    now: Date,
    manager: EntityManager = this.db.manager,
  ): Promise<UserRow | null> {
    const sets = (Object.keys(CHANGE_COLUMNS) as (keyof UserChanges)[])
      .filter((key) => changes[key] !== undefined)
      .map((key) => sql`${sql.identifier(CHANGE_COLUMN_NAMES, CHANGE_COLUMNS[key])} = ${changes[key]}`);
    const updated = await queryRows<{ id: string }>(
      manager,
      sql`UPDATE users SET ${sql.join([...sets, sql`updated_at = ${sql.param(now, 'timestamptz')}`])}
           WHERE id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`clinic_id`)} RETURNING id`,
    );
    // Admin rights and deactivation change what the user's sessions may do (other processes: NOTIFY).
    this.liveSessions.forgetUser(id);
    return updated.length ? this.own(scope, id, manager) : null;
  }

  /**
   * Inside the transaction that grants or removes `userId`'s admin rights: the outbox row that tells
   * them in-app (`eventType`; ids and the new value only: the worker reads the names).
   */
  async announceAdminRights(
    scope: ClinicScope,
    manager: EntityManager,
    change: { eventType: string; userId: string; isAdmin: boolean },
  ): Promise<void> {
    await queryRows(
      manager,
      outboxRow({ type: change.eventType, payload: { userId: change.userId, actorId: scope.userId, isAdmin: change.isAdmin } }),
    );
  }

  /**
   * Locks the caller's clinic row for the transaction: every change of who is an active admin takes
   * it before any user row, so such changes queue one behind the other (in another order, a
   * deactivation and a demotion of each other deadlocked).
   */
  async lockClinic(scope: ClinicScope, manager: EntityManager): Promise<void> {
    await queryRows(manager, sql`SELECT 1 FROM clinics c WHERE ${scope.owns(sql`c.id`)} FOR UPDATE`);
  }

  /**
   * Call inside the transaction that is about to take `userId`'s admin rights away (or make them
   * inactive): throws 422 `last_admin` unless another active admin of the caller's clinic remains.
   * The clinic row is locked first, so two admins removing each other at once cannot both succeed.
   */
  async assertAnotherActiveAdmin(scope: ClinicScope, manager: EntityManager, userId: string): Promise<void> {
    await this.lockClinic(scope, manager);
    if (!(await this.hasAnotherActiveAdmin(scope, userId, manager))) throw lastAdmin();
  }

  /** Whether the caller's clinic has an active admin other than `userId`. */
  async hasAnotherActiveAdmin(scope: ClinicScope, userId: string, manager: EntityManager = this.db.manager): Promise<boolean> {
    const [{ found }] = await queryRows<{ found: boolean }>(
      manager,
      sql`SELECT EXISTS (SELECT 1 FROM users
           WHERE ${scope.owns(sql`clinic_id`)} AND id <> ${sql.param(userId, 'uuid')}
             AND is_admin AND activated_at IS NOT NULL AND deactivated_at IS NULL) AS found`,
    );
    return found;
  }

  /** Every user of the caller's clinic, keyset-paged by (full name as people read it, id). */
  async members(scope: ClinicScope, page: { after?: [string, string]; limit: number }): Promise<UserRow[]> {
    const after = page.after
      ? sql`AND (name_order(u.full_name), u.id) > (name_order(${page.after[0]}), ${sql.param(page.after[1], 'uuid')})`
      : sql.empty;
    return queryRows<UserRow>(
      this.db.manager,
      sql`SELECT ${USER_COLUMNS} FROM ${FROM_USERS}
           WHERE ${scope.owns(sql`u.clinic_id`)} ${after}
           ORDER BY name_order(u.full_name), u.id LIMIT ${page.limit}`,
    );
  }

  /** The practitioners of the caller's clinic (not its plain admins), by name: the metrics' rows. */
  async practitionersOf(scope: ClinicScope): Promise<{ id: string; full_name: string; role: string }[]> {
    return queryRows(
      this.db.manager,
      sql`SELECT id, full_name, role FROM users WHERE ${scope.owns(sql`clinic_id`)} AND role <> 'clinic_admin' ORDER BY name_order(full_name), id`,
    );
  }

  /** Cross-clinic: a user of the caller's clinic, or a listed practitioner of another; null otherwise. Prepared. */
  async visiblePractitioner(scope: ClinicScope, id: string, now: Date): Promise<PractitionerRow | null> {
    const [row] = await queryRows<PractitionerRow>(this.db.manager, visiblePractitionerSql(scope, id, now), { prepare: true });
    return row ?? null;
  }

  /** Cross-clinic: a practitioner listed in the directory; null for anyone else (an admin, a hidden practitioner). */
  async listedPractitioner(id: string, now: Date): Promise<PractitionerRow | null> {
    const [row] = await queryRows<PractitionerRow>(this.db.manager, listedPractitionerSql(id, now));
    return row ?? null;
  }

  /**
   * Cross-clinic: the directory of listed practitioners. The caller's partners first (their own,
   * then their clinic's), then with `near` the nearest, then by name; `limit` rows from `after`.
   */
  async directory(scope: ClinicScope, filter: DirectoryFilter): Promise<DirectoryRow[]> {
    const conditions: Sql[] = [listed(filter.now, filter.roles)];
    if (filter.specialty) conditions.push(sql`${filter.specialty} = ANY(u.specialties)`);
    // Accents aside, as people type them: "montreal" finds "Montréal", "muller" finds "Müller".
    if (filter.city) conditions.push(sql`lower(unaccent(c.address_city)) = lower(unaccent(${filter.city}))`);
    if (filter.postalCode)
      conditions.push(sql`${postalKey(sql`c.address_postal_code`)} = ${postalKey(sql`${filter.postalCode}`)}`);
    if (filter.acceptingReferrals !== undefined) conditions.push(sql`u.accepting_referrals = ${filter.acceptingReferrals}`);
    if (filter.q) {
      const q = containsPattern(filter.q);
      conditions.push(
        sql`(unaccent(u.full_name) ILIKE unaccent(${q}) OR unaccent(c.name) ILIKE unaccent(${q}) OR unaccent(u.bio) ILIKE unaccent(${q}))`,
      );
    }
    const near = filter.near;
    // Great-circle (haversine) distance in km to the clinic's centroid `pc`; null without one
    // (checked first: `least` ignores nulls). `least` keeps rounding from pushing asin's argument past 1.
    const distance = near
      ? sql`CASE WHEN pc.code IS NOT NULL THEN 12742.0 * asin(least(1.0, sqrt(
            power(sin(radians(pc.latitude - ${near.latitude}) / 2), 2)
          + cos(radians(${near.latitude})) * cos(radians(pc.latitude)) * power(sin(radians(pc.longitude - ${near.longitude}) / 2), 2)))) END`
      : sql`NULL::float8`;
    if (near?.radiusKm !== undefined) conditions.push(sql`k.distance <= ${near.radiusKm}`);
    const sortKey = near
      ? sql`k.partner_rank, coalesce(k.distance, ${near.unknownKm}::float8), name_order(u.full_name), u.id`
      : sql`k.partner_rank, name_order(u.full_name), u.id`;
    if (filter.after) {
      // The cursor holds the last row's name as written; the name is compared by its sort key.
      const nameAt = filter.after.length - 2;
      const after = filter.after.map((value, i) => (i === nameAt ? sql`name_order(${value})` : sql`${value}`));
      conditions.push(sql`(${sortKey}) > (${sql.join(after)})`);
    }
    return queryRows<DirectoryRow>(
      this.db.manager,
      sql`SELECT ${USER_COLUMNS}, ${CLINIC_SUMMARY_COLUMNS}, k.partner_rank AS "partnerRank", k.distance AS "distanceKm"
            FROM ${FROM_USERS}
            LEFT JOIN user_partners mp ON mp.user_id = ${sql.param(scope.userId, 'uuid')} AND mp.practitioner_id = u.id
            LEFT JOIN clinic_partners cp ON ${scope.owns(sql`cp.clinic_id`)} AND cp.practitioner_id = u.id
            ${near ? sql`LEFT JOIN postal_centroids pc ON pc.code = postal_centroid_code(c.address_postal_code)` : sql.empty}
            CROSS JOIN LATERAL (
              -- 0: the caller's own partner, 1: their clinic's, 2: anyone else.
              SELECT CASE WHEN mp.user_id IS NOT NULL THEN 0 WHEN cp.clinic_id IS NOT NULL THEN 1 ELSE 2 END AS partner_rank,
                     ${distance} AS distance
            ) k
           WHERE ${sql.join(conditions, sql` AND `)}
           ORDER BY ${sortKey}
           LIMIT ${filter.limit}`,
    );
  }

  /** The centroid of a written postal code, or null when the dataset does not know it. */
  async centroid(postalCode: string): Promise<{ latitude: number; longitude: number } | null> {
    const [row] = await queryRows<{ latitude: number; longitude: number }>(
      this.db.manager,
      sql`SELECT latitude, longitude FROM postal_centroids WHERE code = postal_centroid_code(${postalCode})`,
    );
    return row ?? null;
  }

  // ---- Sign-in flows and invitations (no signed-in caller of the user's clinic yet) ----

  /** Sign-in: the account with this email (case-insensitive) and its password hash. */
  async accountByEmail(email: string): Promise<(UserRow & { passwordHash: string | null }) | null> {
    const [row] = await queryRows<UserRow & { passwordHash: string | null }>(
      this.db.manager,
      sql`SELECT ${USER_COLUMNS}, u.password_hash AS "passwordHash" FROM ${FROM_USERS} WHERE lower(u.email) = lower(${email})`,
    );
    return row ?? null;
  }

  /**
   * The password hash and state a sign-in checked, read again under a share lock in the sign-in's
   * transaction: a password change, reset or deactivation (which lock the row) either commits first
   * and is seen here, or waits for the sign-in and then ends the session it started.
   */
  async lockForSignIn(manager: EntityManager, id: string): Promise<{ passwordHash: string | null; active: boolean } | null> {
    const [row] = await queryRows<{ passwordHash: string | null; active: boolean }>(
      manager,
      sql`SELECT password_hash AS "passwordHash", deactivated_at IS NULL AS active
            FROM users WHERE id = ${sql.param(id, 'uuid')} FOR SHARE`,
    );
    return row ?? null;
  }

  /** Sign-in flows: the account a token already identified. */
  async account(id: string, manager: EntityManager = this.db.manager): Promise<UserRow | null> {
    const [row] = await queryRows<UserRow>(
      manager,
      sql`SELECT ${USER_COLUMNS} FROM ${FROM_USERS} WHERE u.id = ${sql.param(id, 'uuid')}`,
    );
    return row ?? null;
  }

  /** Sets an account's password (a reset, a change, an accepted invitation: `activatedAt` then too). */
  async setPassword(manager: EntityManager, id: string, passwordHash: string, now: Date, activatedAt?: Date): Promise<void> {
    await queryRows(
      manager,
      sql`UPDATE users SET password_hash = ${passwordHash}, updated_at = ${sql.param(now, 'timestamptz')}
             ${activatedAt ? sql`, activated_at = ${sql.param(activatedAt, 'timestamptz')}` : sql.empty}
           WHERE id = ${sql.param(id, 'uuid')}`,
    );
  }

  /** Sets a new password only if the stored one is still `currentHash`; false when it changed meanwhile. */
  async replacePassword(
    manager: EntityManager,
    id: string,
    currentHash: string | null,
    passwordHash: string,
    now: Date,
  ): Promise<boolean> {
    const rows = await queryRows(
      manager,
      sql`UPDATE users SET password_hash = ${passwordHash}, updated_at = ${sql.param(now, 'timestamptz')}
           WHERE id = ${sql.param(id, 'uuid')} AND password_hash = ${currentHash} RETURNING id`,
    );
    return rows.length === 1;
  }

  /**
   * A new user (a registering admin, an invitee), or null when the email (in any letter case) is
   * someone's already. Not a unique violation: PostgreSQL would write the taken address into its server log.
   */
  async insertIfEmailFree(manager: EntityManager, user: NewUser, now: Date): Promise<UserRow | null> {
    const [inserted] = await queryRows<{ id: string }>(
      manager,
      sql`INSERT INTO users (clinic_id, email, password_hash, full_name, role, is_admin, licence_number, licence_region,
                             licence_expires_on, licence_verified_at, licence_verified_by, specialties, languages,
                             accepting_referrals, bio, activated_at, created_at, updated_at)
          VALUES (${sql.param(user.clinicId, 'uuid')}, ${user.email}, ${user.passwordHash}, ${user.fullName}, ${user.role},
                  ${user.isAdmin ?? false}, ${user.licenceNumber ?? null}, ${user.licenceRegion ?? null},
                  ${sql.param(user.licenceExpiresOn ?? null, 'date')}, ${sql.param(user.licenceVerifiedAt ?? null, 'timestamptz')},
                  ${sql.param(user.licenceVerifiedBy ?? null, 'uuid')}, ${sql.param(user.specialties ?? [], 'text[]')},
                  ${sql.param(user.languages ?? [], 'text[]')}, ${user.acceptingReferrals ?? true}, ${user.bio ?? null},
                  ${sql.param(user.activatedAt, 'timestamptz')}, ${sql.param(now, 'timestamptz')}, ${sql.param(now, 'timestamptz')})
          ON CONFLICT ((lower(email))) DO NOTHING
          RETURNING id`,
    );
    return inserted ? this.account(inserted.id, manager) : null;
  }

  /** Invitations: the account holding this email, locked for the transaction. */
  async lockAccountByEmail(manager: EntityManager, email: string): Promise<UserRow | null> {
    const [row] = await queryRows<UserRow>(
      manager,
      sql`SELECT ${USER_COLUMNS} FROM ${FROM_USERS} WHERE lower(u.email) = lower(${email}) FOR UPDATE OF u`,
    );
    return row ?? null;
  }

  /**
   * A revoked invitation: removes the caller's clinic's invitee if they never signed in. Were
   * anything to point at them, the row stays (a savepoint keeps the transaction usable).
   */
  async deleteNeverActivated(scope: ClinicScope, manager: EntityManager, id: string): Promise<void> {
    await queryRows(manager, sql`SAVEPOINT revoke_invitee`);
    try {
      await queryRows(
        manager,
        sql`DELETE FROM users WHERE id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`clinic_id`)} AND activated_at IS NULL`,
      );
      await queryRows(manager, sql`RELEASE SAVEPOINT revoke_invitee`);
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code !== '23503') throw error;
      await queryRows(manager, sql`ROLLBACK TO SAVEPOINT revoke_invitee`);
    }
  }
}
