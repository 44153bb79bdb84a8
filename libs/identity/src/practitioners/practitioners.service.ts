import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  AppError,
  assertClinicAdmin,
  Clock,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  type Page,
  PRACTITIONER_ROLES,
  type PractitionerRole,
  type Principal,
  toPage,
} from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { appendOutbox, isUniqueViolation, queryRows } from '@referloop/database';
import { DataSource, Repository } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { AuditLog } from '../audit/audit-log';
import { invitationToken, invitationUrl, sha256 } from '../auth/secret-token';
import { ClinicEntity } from '../entities/clinic.entity';
import { InvitationEntity } from '../entities/invitation.entity';
import { UserEntity } from '../entities/user.entity';
import type { PractitionerInput, PractitionerPatch } from '../inputs';
import { ClinicScopedRepository } from '../tenancy/clinic-scoped-repository';
import { todayIso, type UserFields, type UserView, userView } from '../views';

export interface Invitation {
  token: string;
  url: string;
  expiresAt: string;
}

export interface DirectoryQuery {
  type?: PractitionerRole;
  specialty?: string;
  city?: string;
  postalCode?: string;
  acceptingReferrals?: boolean;
  q?: string;
  cursor?: string;
  limit?: number;
}

/** A user with their clinic's summary, columns aliased to the entities' property names. */
interface PractitionerRow extends UserFields {
  clinicName: string;
  clinicCity: string;
  clinicRegion: string;
  clinicPostalCode: string;
  clinicCountry: string;
}

/** $1 the practitioner, $2 the caller's clinic, $3 today: own clinic's users, or another clinic's listed practitioners. */
const PRACTITIONER_SQL = `
  SELECT u.id, u.clinic_id AS "clinicId", u.email, u.full_name AS "fullName", u.role,
         u.licence_number AS "licenceNumber", u.licence_region AS "licenceRegion",
         u.licence_expires_on::text AS "licenceExpiresOn", u.licence_verified_at AS "licenceVerifiedAt",
         u.specialties, u.languages, u.accepting_referrals AS "acceptingReferrals", u.bio,
         u.activated_at AS "activatedAt", u.deactivated_at AS "deactivatedAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt",
         c.name AS "clinicName", c.address_city AS "clinicCity", c.address_region AS "clinicRegion",
         c.address_postal_code AS "clinicPostalCode", c.address_country AS "clinicCountry"
    FROM users u JOIN clinics c ON c.id = u.clinic_id
   WHERE u.id = $1
     AND (u.clinic_id = $2
          OR (u.role IN (${PRACTITIONER_ROLES.map((role) => `'${role}'`).join(', ')}) AND u.licence_expires_on >= $3::date
              AND u.deactivated_at IS NULL))`;

/** Outbox event of a new invitation: the worker emails it. */
export const INVITATION_CREATED_EVENT = 'invitation.created';

@Injectable()
export class PractitionersService {
  private readonly ownUsers: ClinicScopedRepository<UserEntity>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(UserEntity) users: Repository<UserEntity>,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.ownUsers = new ClinicScopedRepository(users, 'practitioner');
  }

  /**
   * An admin adds a practitioner to their clinic; the practitioner sets a password through the
   * invitation, which is emailed (an outbox event in the same transaction) and also answered here.
   */
  async invite(principal: Principal, input: PractitionerInput): Promise<UserView & { invitation: Invitation }> {
    const invitationId = randomUUID();
    const token = invitationToken(this.config.jwt.secret, invitationId);
    const expiresAt = new Date(this.clock.now().getTime() + this.config.invitationTtlHours * 3600_000);
    try {
      return await this.db.transaction(async (tx) => {
        const user = await tx.save(
          tx.create(UserEntity, {
            clinicId: principal.clinicId,
            email: input.email,
            passwordHash: null,
            fullName: input.fullName,
            role: input.role,
            licenceNumber: input.licence.number,
            licenceRegion: input.licence.region,
            licenceExpiresOn: input.licence.expiresOn,
            // Entered by the clinic's admin, who checked it: that is the verification.
            licenceVerifiedAt: this.clock.now(),
            specialties: input.specialties ?? [],
            languages: input.languages ?? [],
            acceptingReferrals: input.acceptingReferrals ?? true,
            bio: input.bio ?? null,
            activatedAt: null,
          }),
        );
        await tx.insert(InvitationEntity, { id: invitationId, userId: user.id, tokenHash: sha256(token), expiresAt });
        await appendOutbox(tx, { type: INVITATION_CREATED_EVENT, payload: { invitationId } });
        return {
          ...userView(user, { now: this.clock.now(), withEmail: true }),
          invitation: {
            token,
            url: invitationUrl(this.config.publicUrl, token),
            expiresAt: expiresAt.toISOString(),
          },
        };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_lower_key')) throw new AppError('email_taken');
      throw error;
    }
  }

  /**
   * The cross-clinic directory. Practitioners with an expired licence are hidden; email addresses
   * are only shown within the caller's own clinic. Keyset-paged by (full name, id).
   */
  async directory(principal: Principal, query: DirectoryQuery): Promise<Page<UserView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const qb = this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .innerJoinAndMapOne('u.clinic', ClinicEntity, 'c', 'c.id = u.clinic_id')
      .where('u.role IN (:...roles)', { roles: query.type ? [query.type] : PRACTITIONER_ROLES })
      .andWhere('u.licence_expires_on >= :today', { today: todayIso(this.clock.now()) })
      .andWhere('u.deactivated_at IS NULL');
    if (query.specialty) qb.andWhere(':specialty = ANY(u.specialties)', { specialty: query.specialty });
    if (query.city) qb.andWhere('lower(c.address_city) = lower(:city)', { city: query.city });
    if (query.postalCode) {
      qb.andWhere(`upper(replace(c.address_postal_code, ' ', '')) = upper(replace(:postalCode, ' ', ''))`, {
        postalCode: query.postalCode,
      });
    }
    if (query.acceptingReferrals !== undefined)
      qb.andWhere('u.accepting_referrals = :accepting', { accepting: query.acceptingReferrals });
    if (query.q) {
      qb.andWhere(`(u.full_name ILIKE :q OR c.name ILIKE :q OR u.bio ILIKE :q)`, { q: `%${escapeLike(query.q)}%` });
    }
    if (query.cursor) {
      const [name, id] = decodeCursor(query.cursor, ['text', 'uuid']);
      qb.andWhere('(u.full_name, u.id) > (:name, :id)', { name, id });
    }
    const rows = await qb
      .orderBy('u.full_name', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(limit + 1)
      .getMany();
    const now = this.clock.now();
    return toPage(
      rows,
      limit,
      (u) => {
        const clinic = (u as UserEntity & { clinic: ClinicEntity }).clinic;
        return userView(u, { now, withEmail: u.clinicId === principal.clinicId, clinic });
      },
      (u) => [u.fullName, u.id],
    );
  }

  /**
   * One practitioner: any practitioner of the caller's own clinic, or a practitioner of another
   * clinic who is listed in the directory. Anything else is 404.
   */
  async get(principal: Principal, id: string): Promise<UserView> {
    const now = this.clock.now();
    // A hot read with a fixed text: prepared once per connection, rows without the ORM's hydration.
    const [row] = await queryRows<PractitionerRow>(this.db.manager, PRACTITIONER_SQL, [id, principal.clinicId, todayIso(now)], {
      prepare: true,
    });
    if (!row) throw new AppError('not_found', 'The practitioner was not found');
    const clinic = {
      id: row.clinicId,
      name: row.clinicName,
      addressCity: row.clinicCity,
      addressRegion: row.clinicRegion,
      addressPostalCode: row.clinicPostalCode,
      addressCountry: row.clinicCountry,
    };
    return userView(row, { now, withEmail: row.clinicId === principal.clinicId, clinic });
  }

  /**
   * Every user of the admin's clinic, whatever their state (invited, active, deactivated, licence
   * expired): what the admin manages. Keyset-paged by (full name, id).
   */
  async clinicMembers(principal: Principal, query: { cursor?: string; limit?: number }): Promise<Page<UserView>> {
    assertClinicAdmin(principal);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const qb = this.ownUsers.query('u');
    if (query.cursor) {
      const [name, id] = decodeCursor(query.cursor, ['text', 'uuid']);
      qb.andWhere('(u.full_name, u.id) > (:name, :id)', { name, id });
    }
    const rows = await qb
      .orderBy('u.full_name', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(limit + 1)
      .getMany();
    const now = this.clock.now();
    return toPage(
      rows,
      limit,
      (u) => userView(u, { now, withEmail: true }),
      (u) => [u.fullName, u.id],
    );
  }

  /**
   * An admin of the clinic deactivates one of its users: every session ends at once, they cannot
   * sign in, they leave the directory and cannot receive referrals. Their open referrals stay
   * theirs until reassigned (`/admin/referrals/unowned`). The clinic keeps at least one active admin.
   */
  async deactivate(principal: Principal, id: string): Promise<UserView> {
    assertClinicAdmin(principal);
    return this.db.transaction(async (tx) => {
      // Serialises admin changes per clinic: two admins deactivating each other at once leave one.
      await tx.query(`SELECT 1 FROM clinics WHERE id = $1 FOR UPDATE`, [principal.clinicId]);
      const target = await this.ownUsers.get(id, tx);
      if (target.deactivatedAt) return userView(target, { now: this.clock.now(), withEmail: true });
      if (target.role === 'clinic_admin') {
        const [{ others }]: { others: number }[] = await tx.query(
          `SELECT count(*)::int AS others FROM users
            WHERE clinic_id = $1 AND role = 'clinic_admin' AND deactivated_at IS NULL AND id <> $2`,
          [principal.clinicId, id],
        );
        if (others === 0)
          throw new AppError('last_admin', "This is the clinic's last active admin; make someone else admin first");
      }
      const updated = await this.ownUsers.update(id, { deactivatedAt: this.clock.now() }, tx);
      await tx.query(
        `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'deactivated' WHERE user_id = $1 AND revoked_at IS NULL`,
        [id],
      );
      await this.audit.record({ action: 'practitioner.deactivate', resourceType: 'user', resourceId: id }, tx);
      return userView(updated, { now: this.clock.now(), withEmail: true });
    });
  }

  /** An admin of the clinic lets a deactivated user sign in again (with their existing password). */
  async reactivate(principal: Principal, id: string): Promise<UserView> {
    assertClinicAdmin(principal);
    return this.db.transaction(async (tx) => {
      const target = await this.ownUsers.get(id, tx);
      if (!target.deactivatedAt) return userView(target, { now: this.clock.now(), withEmail: true });
      const updated = await this.ownUsers.update(id, { deactivatedAt: null }, tx);
      await this.audit.record({ action: 'practitioner.reactivate', resourceType: 'user', resourceId: id }, tx);
      return userView(updated, { now: this.clock.now(), withEmail: true });
    });
  }

  /** The practitioner themself or an admin of their clinic; another clinic's practitioner is 404. */
  async update(principal: Principal, id: string, patch: PractitionerPatch): Promise<UserView> {
    const target = await this.ownUsers.get(id);
    if (principal.role !== 'clinic_admin' && principal.userId !== id) {
      throw new AppError('forbidden', 'Only the practitioner or an admin of their clinic may change this profile');
    }
    if (target.role === 'clinic_admin' && patch.licence) {
      throw AppError.validation([{ field: 'licence', message: 'a clinic admin has no licence' }]);
    }
    const changes: Partial<UserEntity> = {
      fullName: patch.fullName,
      specialties: patch.specialties,
      languages: patch.languages,
      acceptingReferrals: patch.acceptingReferrals,
      bio: patch.bio,
    };
    if (patch.licence) {
      changes.licenceNumber = patch.licence.number;
      changes.licenceRegion = patch.licence.region;
      changes.licenceExpiresOn = patch.licence.expiresOn;
      // A licence is verified when the clinic's admin records it; a self-edit needs re-verification.
      changes.licenceVerifiedAt = principal.role === 'clinic_admin' ? this.clock.now() : null;
    }
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const updated = Object.keys(defined).length ? await this.ownUsers.update(id, defined) : target;
    return userView(updated, { now: this.clock.now(), withEmail: true });
  }

  async me(principal: Principal): Promise<UserView> {
    const user = await this.ownUsers.get(principal.userId);
    const clinic = await this.db.getRepository(ClinicEntity).findOneByOrFail({ id: user.clinicId });
    return userView(user, { now: this.clock.now(), withEmail: true, clinic });
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
