import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  AppError,
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
import { invitationToken, invitationUrl, sha256 } from '../auth/secret-token';
import { ClinicEntity } from '../entities/clinic.entity';
import { InvitationEntity } from '../entities/invitation.entity';
import { UserEntity } from '../entities/user.entity';
import type { LicenceInput, PractitionerInput, PractitionerPatch } from '../inputs';
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
         u.licence_verified_by AS "licenceVerifiedBy", v.full_name AS "licenceVerifierName",
         u.specialties, u.languages, u.accepting_referrals AS "acceptingReferrals", u.bio,
         u.activated_at AS "activatedAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt",
         c.name AS "clinicName", c.address_city AS "clinicCity", c.address_region AS "clinicRegion",
         c.address_postal_code AS "clinicPostalCode", c.address_country AS "clinicCountry"
    FROM users u JOIN clinics c ON c.id = u.clinic_id
    LEFT JOIN users v ON v.id = u.licence_verified_by
   WHERE u.id = $1
     AND (u.clinic_id = $2 OR (u.role IN (${PRACTITIONER_ROLES.map((role) => `'${role}'`).join(', ')}) AND u.licence_expires_on >= $3::date))`;

/** Outbox event of a new invitation: the worker emails it. */
export const INVITATION_CREATED_EVENT = 'invitation.created';

@Injectable()
export class PractitionersService {
  private readonly ownUsers: ClinicScopedRepository<UserEntity>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(UserEntity) users: Repository<UserEntity>,
    private readonly clock: Clock,
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
            licenceVerifiedBy: principal.userId,
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
          ...userView(await this.withVerifierName(user, tx), { now: this.clock.now(), withEmail: true }),
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
      .leftJoinAndMapOne('u.licenceVerifier', UserEntity, 'v', 'v.id = u.licence_verified_by')
      .where('u.role IN (:...roles)', { roles: query.type ? [query.type] : PRACTITIONER_ROLES })
      .andWhere('u.licence_expires_on >= :today', { today: todayIso(this.clock.now()) });
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
        const { clinic, licenceVerifier } = u as UserEntity & { clinic: ClinicEntity; licenceVerifier: UserEntity | null };
        return userView(
          { ...u, licenceVerifierName: licenceVerifier?.fullName ?? null },
          { now, withEmail: u.clinicId === principal.clinicId, clinic },
        );
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
    if (patch.licence && principal.role === 'clinic_admin') {
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
    const updated = Object.keys(defined).length ? await this.ownUsers.update(id, defined) : target;
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

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
