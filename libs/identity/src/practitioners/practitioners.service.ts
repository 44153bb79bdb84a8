import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  AppError,
  assertClinicAdmin,
  Clock,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  type CursorPart,
  type Page,
  PRACTITIONER_ROLES,
  type PractitionerRole,
  isClinicAdmin,
  type Principal,
  toPage,
} from '@referloop/common';
import { queryRows } from '@referloop/database';
import { DataSource, Repository } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { ClinicEntity } from '../entities/clinic.entity';
import { ClinicPartnerEntity, PostalCentroidEntity, UserPartnerEntity } from '../entities/partner.entity';
import { UserEntity } from '../entities/user.entity';
import type { LicenceInput, PractitionerPatch } from '../inputs';
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
  /** A postal code: items carry `distanceKm` from it and are ordered nearest first. */
  near?: string;
  /** Only practitioners within this distance of `near` (those without a known location are left out). */
  radiusKm?: number;
  cursor?: string;
  limit?: number;
}

/** `mine`: the caller saved them; `clinic`: the caller's clinic's preferred partner. */
export type PartnerKind = 'mine' | 'clinic';

export interface DirectoryItem extends UserView {
  partner: PartnerKind | null;
  /** Only with `near`: km between the postal-code centroids, null when a clinic's postal code is not known. */
  distanceKm?: number | null;
}

/** Sorts clinics whose postal code has no centroid after every real distance (no two places on Earth are 20,038 km apart). */
const UNKNOWN_DISTANCE_KM = 1e6;

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
         u.licence_verified_by AS "licenceVerifiedBy", v.full_name AS "licenceVerifierName",
         u.is_admin AS "isAdmin", u.specialties, u.languages, u.accepting_referrals AS "acceptingReferrals", u.bio,
         u.activated_at AS "activatedAt", u.deactivated_at AS "deactivatedAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt",
         c.name AS "clinicName", c.address_city AS "clinicCity", c.address_region AS "clinicRegion",
         c.address_postal_code AS "clinicPostalCode", c.address_country AS "clinicCountry"
    FROM users u JOIN clinics c ON c.id = u.clinic_id
    LEFT JOIN users v ON v.id = u.licence_verified_by
   WHERE u.id = $1
     AND (u.clinic_id = $2
          OR (u.role IN (${PRACTITIONER_ROLES.map((role) => `'${role}'`).join(', ')}) AND u.licence_expires_on >= $3::date
              AND u.activated_at IS NOT NULL AND u.deactivated_at IS NULL))`;

@Injectable()
export class PractitionersService {
  private readonly ownUsers: ClinicScopedRepository<UserEntity>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(UserEntity) users: Repository<UserEntity>,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {
    this.ownUsers = new ClinicScopedRepository(users, 'practitioner');
  }

  /**
   * The cross-clinic directory. Practitioners with an expired licence are hidden; email addresses
   * are only shown within the caller's own clinic. The caller's partners come first (their own, then
   * their clinic's), then, with `near`, the nearest; keyset-paged by (partner rank, [distance,] full name, id).
   */
  async directory(principal: Principal, query: DirectoryQuery): Promise<Page<DirectoryItem>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const origin = query.near === undefined ? null : await this.centroidOf(query.near);
    if (query.radiusKm !== undefined && !origin) {
      throw AppError.validation([{ field: 'radiusKm', message: 'needs near (the postal code to measure from)' }]);
    }
    const qb = this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .innerJoinAndMapOne('u.clinic', ClinicEntity, 'c', 'c.id = u.clinic_id')
      .leftJoinAndMapOne('u.licenceVerifier', UserEntity, 'v', 'v.id = u.licence_verified_by')
      .where('u.role IN (:...roles)', { roles: query.type ? [query.type] : PRACTITIONER_ROLES })
      .andWhere('u.licence_expires_on >= :today', { today: todayIso(this.clock.now()) })
      // Someone invited but not yet joined is not a member yet, and a deactivated user no longer is:
      // neither is listed nor choosable.
      .andWhere('u.activated_at IS NOT NULL')
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

    // The sort key: partners first, then (with near) the distance, then the name.
    qb.leftJoin(UserPartnerEntity, 'mp', 'mp.user_id = :me AND mp.practitioner_id = u.id', { me: principal.userId })
      .leftJoin(ClinicPartnerEntity, 'cp', 'cp.clinic_id = :myClinic AND cp.practitioner_id = u.id', {
        myClinic: principal.clinicId,
      })
      .addSelect(PARTNER_RANK_SQL, 'partner_rank');
    const sortKey = [PARTNER_RANK_SQL];
    const cursorParts: CursorPart[] = ['number'];
    if (origin) {
      qb.leftJoin(PostalCentroidEntity, 'pc', 'pc.code = postal_centroid_code(c.address_postal_code)')
        .setParameters({ nearLat: origin.latitude, nearLon: origin.longitude, unknownKm: UNKNOWN_DISTANCE_KM })
        .addSelect(`coalesce(${DISTANCE_KM_SQL}, :unknownKm)`, 'distance_km');
      if (query.radiusKm !== undefined) qb.andWhere(`${DISTANCE_KM_SQL} <= :radiusKm`, { radiusKm: query.radiusKm });
      sortKey.push(`coalesce(${DISTANCE_KM_SQL}, :unknownKm)`);
      cursorParts.push('number');
    }
    sortKey.push('u.full_name', 'u.id');
    cursorParts.push('text', 'uuid');
    if (query.cursor) {
      const values = decodeCursor(query.cursor, cursorParts);
      const names = values.map((_, i) => `after${i}`);
      qb.andWhere(`(${sortKey.join(', ')}) > (${names.map((n) => `:${n}`).join(', ')})`, {
        ...Object.fromEntries(names.map((n, i) => [n, values[i]])),
      });
    }
    sortKey.forEach((key, i) => (i === 0 ? qb.orderBy(key, 'ASC') : qb.addOrderBy(key, 'ASC')));
    const { entities, raw } = await qb.limit(limit + 1).getRawAndEntities<{ partner_rank: number; distance_km?: number }>();
    const now = this.clock.now();
    const rows = entities.map((user, i) => ({ user, rank: Number(raw[i].partner_rank), distanceKm: raw[i].distance_km }));
    return toPage(
      rows,
      limit,
      ({ user, rank, distanceKm }) => {
        const { clinic, licenceVerifier } = user as UserEntity & { clinic: ClinicEntity; licenceVerifier: UserEntity | null };
        return {
          ...userView(
            { ...user, licenceVerifierName: licenceVerifier?.fullName ?? null },
            { now, withEmail: user.clinicId === principal.clinicId, clinic },
          ),
          partner: PARTNER_BY_RANK[rank],
          ...(origin && {
            distanceKm: distanceKm === undefined || distanceKm >= UNKNOWN_DISTANCE_KM ? null : roundKm(distanceKm),
          }),
        };
      },
      ({ user, rank, distanceKm }) =>
        origin ? [rank, distanceKm as number, user.fullName, user.id] : [rank, user.fullName, user.id],
    );
  }

  /** The centroid of a written postal code; one that the dataset does not know is a 400 on `near`. */
  private async centroidOf(postalCode: string): Promise<{ latitude: number; longitude: number }> {
    const [centroid] = await queryRows<{ latitude: number; longitude: number }>(
      this.db.manager,
      'SELECT latitude, longitude FROM postal_centroids WHERE code = postal_centroid_code($1)',
      [postalCode],
    );
    if (!centroid) {
      throw AppError.validation([{ field: 'near', message: 'must be a known US ZIP code or Canadian postal code' }]);
    }
    return centroid;
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
      const target = await this.ownUsers.get(id, tx);
      if (target.deactivatedAt) return userView(target, { now: this.clock.now(), withEmail: true });
      if (target.isAdmin) await assertAnotherActiveAdmin(tx, principal.clinicId, id);
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
    if (patch.licence && admin) {
      // Recorded by the clinic's admin, who checked it: that is the attestation, and it is theirs.
      changes.licenceNumber = patch.licence.number;
      changes.licenceRegion = patch.licence.region;
      changes.licenceExpiresOn = patch.licence.expiresOn;
      changes.licenceVerifiedAt = this.clock.now();
      changes.licenceVerifiedBy = principal.userId;
    } else if (patch.licence && !sameLicence(target, patch.licence)) {
      // A practitioner may send their licence back unchanged (a whole-profile form), never change it.
      throw new AppError('forbidden', 'A licence is changed by an admin of the clinic, who attests it');
    }
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    if (Object.keys(defined).length === 0)
      return userView(await this.withVerifierName(target), { now: this.clock.now(), withEmail: true });
    const updated = await this.db.transaction(async (tx) => {
      if (patch.isAdmin === false && target.isAdmin) await assertAnotherActiveAdmin(tx, target.clinicId, id);
      return this.ownUsers.update(id, defined, tx);
    });
    return userView(await this.withVerifierName(updated), { now: this.clock.now(), withEmail: true });
  }

  async me(principal: Principal): Promise<UserView> {
    const user = await this.ownUsers.get(principal.userId);
    const clinic = await this.db.getRepository(ClinicEntity).findOneByOrFail({ id: user.clinicId });
    return userView(await this.withVerifierName(user), { now: this.clock.now(), withEmail: true, clinic });
  }

  /** The user with the name of the admin who attested their licence (a user of the same clinic). */
  private async withVerifierName(user: UserEntity, manager = this.db.manager): Promise<UserFields> {
    if (!user.licenceVerifiedBy) return user;
    const verifier = await manager.findOne(UserEntity, {
      where: { id: user.licenceVerifiedBy },
      select: { id: true, fullName: true },
    });
    return { ...user, licenceVerifierName: verifier?.fullName ?? null };
  }
}

function sameLicence(user: UserEntity, licence: LicenceInput): boolean {
  return (
    user.licenceNumber === licence.number && user.licenceRegion === licence.region && user.licenceExpiresOn === licence.expiresOn
  );
}

/** 0: the caller's own partner, 1: their clinic's, 2: anyone else. */
const PARTNER_RANK_SQL = 'CASE WHEN mp.user_id IS NOT NULL THEN 0 WHEN cp.clinic_id IS NOT NULL THEN 1 ELSE 2 END';
const PARTNER_BY_RANK: Record<number, PartnerKind | null> = { 0: 'mine', 1: 'clinic', 2: null };

/**
 * Great-circle (haversine) distance in km from (:nearLat, :nearLon) to the clinic's centroid `pc`; null without
 * one (checked first: `least` ignores nulls). `least` keeps rounding from pushing asin's argument past 1.
 */
const DISTANCE_KM_SQL = `(CASE WHEN pc.code IS NOT NULL THEN 12742.0 * asin(least(1.0, sqrt(
    power(sin(radians(pc.latitude - :nearLat) / 2), 2)
  + cos(radians(:nearLat)) * cos(radians(pc.latitude)) * power(sin(radians(pc.longitude - :nearLon) / 2), 2)))) END)`;

/** Centroids are a few km across: one decimal close by, whole km farther out. */
function roundKm(km: number): number {
  return km < 10 ? Math.round(km * 10) / 10 : Math.round(km);
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
