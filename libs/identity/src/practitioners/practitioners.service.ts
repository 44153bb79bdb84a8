import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  AppError,
  Clock,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  type Page,
  PRACTITIONER_ROLES,
  type PractitionerRole,
  isClinicAdmin,
  type Principal,
  toPage,
} from '@referloop/common';
import { queryRows } from '@referloop/database';
import { DataSource, Repository } from 'typeorm';
import { ClinicEntity } from '../entities/clinic.entity';
import { UserEntity } from '../entities/user.entity';
import type { PractitionerPatch } from '../inputs';
import { ClinicScopedRepository } from '../tenancy/clinic-scoped-repository';
import { assertAnotherActiveAdmin } from './last-admin';
import { todayIso, type UserFields, type UserView, userView } from '../views';

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

/** $1 the practitioner, $2 the caller's clinic, $3 today: own clinic's users (invitees too), or another clinic's listed practitioners. */
const PRACTITIONER_SQL = `
  SELECT u.id, u.clinic_id AS "clinicId", u.email, u.full_name AS "fullName", u.role,
         u.licence_number AS "licenceNumber", u.licence_region AS "licenceRegion",
         u.licence_expires_on::text AS "licenceExpiresOn", u.licence_verified_at AS "licenceVerifiedAt",
         u.is_admin AS "isAdmin", u.specialties, u.languages, u.accepting_referrals AS "acceptingReferrals", u.bio,
         u.activated_at AS "activatedAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt",
         c.name AS "clinicName", c.address_city AS "clinicCity", c.address_region AS "clinicRegion",
         c.address_postal_code AS "clinicPostalCode", c.address_country AS "clinicCountry"
    FROM users u JOIN clinics c ON c.id = u.clinic_id
   WHERE u.id = $1
     AND (u.clinic_id = $2 OR (u.role IN (${PRACTITIONER_ROLES.map((role) => `'${role}'`).join(', ')})
                               AND u.licence_expires_on >= $3::date AND u.activated_at IS NOT NULL))`;

@Injectable()
export class PractitionersService {
  private readonly ownUsers: ClinicScopedRepository<UserEntity>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(UserEntity) users: Repository<UserEntity>,
    private readonly clock: Clock,
  ) {
    this.ownUsers = new ClinicScopedRepository(users, 'practitioner');
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
      // Someone invited but not yet joined is not a member yet: not listed, not choosable.
      .andWhere('u.activated_at IS NOT NULL');
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
   * The practitioner themself or an admin of their clinic; another clinic's practitioner is 404.
   * Admin rights (`isAdmin`) are granted and removed by admins only, and never from the last active admin.
   */
  async update(principal: Principal, id: string, patch: PractitionerPatch): Promise<UserView> {
    const target = await this.ownUsers.get(id);
    const admin = isClinicAdmin(principal);
    if (!admin && principal.userId !== id) {
      throw new AppError('forbidden', 'Only the practitioner or an admin of their clinic may change this profile');
    }
    if (patch.isAdmin !== undefined && !admin)
      throw new AppError('forbidden', 'Only an admin of the clinic may grant or remove admin rights');
    if (target.role === 'clinic_admin' && patch.isAdmin === false) {
      throw AppError.validation([{ field: 'isAdmin', message: 'a clinic admin always has admin rights' }]);
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
      isAdmin: patch.isAdmin,
    };
    if (patch.licence) {
      changes.licenceNumber = patch.licence.number;
      changes.licenceRegion = patch.licence.region;
      changes.licenceExpiresOn = patch.licence.expiresOn;
      // A licence is verified when the clinic's admin records it; a self-edit needs re-verification.
      changes.licenceVerifiedAt = admin ? this.clock.now() : null;
    }
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    if (Object.keys(defined).length === 0) return userView(target, { now: this.clock.now(), withEmail: true });
    const updated = await this.db.transaction(async (tx) => {
      if (patch.isAdmin === false && target.isAdmin) await assertAnotherActiveAdmin(tx, target.clinicId, id);
      return this.ownUsers.update(id, defined, tx);
    });
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
