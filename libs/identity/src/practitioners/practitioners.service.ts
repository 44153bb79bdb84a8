import { Injectable } from '@nestjs/common';
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
  notFound,
  type Principal,
  toPage,
} from '@referloop/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { InvitationsService } from '../invitations/invitations.service';
import type { LicenceInput, PractitionerPatch } from '../inputs';
import { SessionsStore } from '../store/sessions.store';
import { clinicSummary, lastAdmin, type UserChanges, type UserRow, UsersStore } from '../store/users.store';
import { ClinicScope } from '../tenancy/clinic-scope';
import { type UserView, userView } from '../views';

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

/**
 * Outbox event of admin rights granted or removed by another admin (`{userId, actorId, isAdmin}`):
 * the worker tells that user in-app, so their open app re-reads what they may do.
 */
export const ADMIN_RIGHTS_CHANGED_EVENT = 'admin_rights.changed';

/** A patch whose every field is left out (or was found to be as it is already). */
const nothingToChange = (changes: object): boolean => Object.values(changes).every((value) => value === undefined);

@Injectable()
export class PractitionersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersStore,
    private readonly sessions: SessionsStore,
    private readonly invitations: InvitationsService,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

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
    const cursorParts: CursorPart[] = origin ? ['int', 'number', 'text', 'uuid'] : ['int', 'text', 'uuid'];
    // Nearest first is another order than by name.
    const cursorList = origin ? 'practitioners:near' : 'practitioners';
    const now = this.clock.now();
    const rows = await this.users.directory(ClinicScope.of(principal), {
      roles: query.type ? [query.type] : PRACTITIONER_ROLES,
      now,
      specialty: query.specialty,
      city: query.city,
      postalCode: query.postalCode,
      acceptingReferrals: query.acceptingReferrals,
      q: query.q,
      near: origin ? { ...origin, radiusKm: query.radiusKm, unknownKm: UNKNOWN_DISTANCE_KM } : undefined,
      after: query.cursor ? directoryCursor(query.cursor, cursorList, cursorParts) : undefined,
      limit: limit + 1,
    });
    return toPage(
      rows,
      limit,
      // Added to the view, not spread into a copy: a hidden class per row (docs/architecture.md).
      (row) =>
        Object.assign(userView(row, { now, withEmail: row.clinicId === principal.clinicId, clinic: clinicSummary(row) }), {
          partner: PARTNER_BY_RANK[row.partnerRank],
          distanceKm: origin ? (row.distanceKm === null ? null : roundKm(row.distanceKm)) : undefined,
        }),
      (row) =>
        origin
          ? [row.partnerRank, row.distanceKm ?? UNKNOWN_DISTANCE_KM, row.fullName, row.id]
          : [row.partnerRank, row.fullName, row.id],
      cursorList,
    );
  }

  /** The centroid of a written postal code; one that the dataset does not know is a 400 on `near`. */
  private async centroidOf(postalCode: string): Promise<{ latitude: number; longitude: number }> {
    const centroid = await this.users.centroid(postalCode);
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
    const row = await this.users.visiblePractitioner(ClinicScope.of(principal), id, now);
    if (!row) throw notFound('practitioner');
    return userView(row, { now, withEmail: row.clinicId === principal.clinicId, clinic: clinicSummary(row) });
  }

  /** One practitioner listed in the directory, of any clinic; anyone else (an admin, a hidden practitioner) is 404. */
  async listed(principal: Principal, id: string): Promise<UserView> {
    const now = this.clock.now();
    const row = await this.users.listedPractitioner(id, now);
    if (!row) throw notFound('practitioner');
    return userView(row, { now, withEmail: row.clinicId === principal.clinicId, clinic: clinicSummary(row) });
  }

  /**
   * Every user of the admin's clinic, whatever their state (invited, active, deactivated, licence
   * expired): what the admin manages. Keyset-paged by (full name, id).
   */
  async clinicMembers(principal: Principal, query: { cursor?: string; limit?: number }): Promise<Page<UserView>> {
    assertClinicAdmin(principal);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? (decodeCursor(query.cursor, 'clinic-members', ['text', 'uuid']) as [string, string]) : undefined;
    const rows = await this.users.members(ClinicScope.of(principal), { after, limit: limit + 1 });
    const now = this.clock.now();
    return toPage(
      rows,
      limit,
      (u) => userView(u, { now, withEmail: true }),
      (u) => [u.fullName, u.id],
      'clinic-members',
    );
  }

  /**
   * An admin of the clinic deactivates one of its users: every session ends at once, they cannot
   * sign in, they leave the directory and cannot receive referrals. Their open referrals stay
   * theirs until reassigned (`/admin/referrals/unowned`). The clinic keeps at least one active admin.
   */
  async deactivate(principal: Principal, id: string): Promise<UserView> {
    assertClinicAdmin(principal);
    const scope = ClinicScope.of(principal);
    return this.db.transaction(async (tx) => {
      await this.lockClinicAsAdmin(scope, tx, principal);
      const target = await this.users.own(scope, id, tx, true);
      if (!target) throw notFound('practitioner');
      if (target.deactivatedAt) return userView(target, { now: this.clock.now(), withEmail: true });
      if (target.isAdmin) await this.users.assertAnotherActiveAdmin(scope, tx, id);
      const now = this.clock.now();
      const updated = await this.users.updateOwn(scope, id, { deactivatedAt: now }, now, tx);
      if (!updated) throw notFound('practitioner');
      await this.sessions.end(tx, { userId: id }, 'deactivated', now);
      // Links sent before stay dead after a reactivation: a reset is asked for again, and someone
      // who never joined is sent a new invitation link when reactivated.
      await this.sessions.useResets(tx, id, now);
      await this.invitations.closeLinksOf(scope, tx, id);
      await this.audit.record({ by: principal, action: 'practitioner.deactivate', resourceType: 'user', resourceId: id }, tx);
      return userView(updated, { now, withEmail: true });
    });
  }

  /**
   * An admin of the clinic lets a deactivated user sign in again (with their existing password);
   * someone who never joined is emailed a new invitation link instead.
   */
  async reactivate(principal: Principal, id: string): Promise<UserView> {
    assertClinicAdmin(principal);
    const scope = ClinicScope.of(principal);
    return this.db.transaction(async (tx) => {
      await this.lockClinicAsAdmin(scope, tx, principal);
      const target = await this.users.own(scope, id, tx, true);
      if (!target) throw notFound('practitioner');
      if (!target.deactivatedAt) return userView(target, { now: this.clock.now(), withEmail: true });
      const now = this.clock.now();
      const updated = await this.users.updateOwn(scope, id, { deactivatedAt: null }, now, tx);
      if (!updated) throw notFound('practitioner');
      if (!updated.activatedAt) await this.invitations.reopenFor(scope, tx, id);
      await this.audit.record({ by: principal, action: 'practitioner.reactivate', resourceType: 'user', resourceId: id }, tx);
      return userView(updated, { now, withEmail: true });
    });
  }

  /**
   * The practitioner themself or an admin of their clinic; another clinic's practitioner is 404.
   * Admin rights (`isAdmin`) are granted and removed by admins only, and never from the last active admin.
   */
  async update(principal: Principal, id: string, patch: PractitionerPatch): Promise<UserView> {
    const scope = ClinicScope.of(principal);
    const target = await this.users.own(scope, id);
    if (!target) throw notFound('practitioner');
    const admin = isClinicAdmin(principal);
    if (!admin && principal.userId !== id) {
      throw new AppError('forbidden', 'Only the practitioner or an admin of their clinic may change this profile');
    }
    if (patch.isAdmin !== undefined && !admin)
      throw new AppError('forbidden', 'Only an admin of the clinic may grant or remove admin rights');
    if (target.role === 'clinic_admin' && patch.isAdmin === false) {
      // The clinic's only admin first hears the rule that matters most (as any last admin does).
      if (!(await this.users.hasAnotherActiveAdmin(scope, id))) throw lastAdmin();
      throw AppError.validation([{ field: 'isAdmin', message: 'a clinic admin always has admin rights' }]);
    }
    if (target.role === 'clinic_admin' && patch.licence) {
      throw AppError.validation([{ field: 'licence', message: 'a clinic admin has no licence' }]);
    }
    const now = this.clock.now();
    const changes: UserChanges = {
      fullName: patch.fullName,
      specialties: patch.specialties,
      languages: patch.languages,
      acceptingReferrals: patch.acceptingReferrals,
      bio: patch.bio,
      isAdmin: patch.isAdmin,
    };
    const own = principal.userId === id;
    // A practitioner may send their own licence back unchanged (a whole-profile form): no change,
    // except that a solo practitioner's licence, self-declared at sign-up, is then attested by them.
    const resent = own && patch.licence !== undefined && sameLicence(target, patch.licence);
    const attestsOwn = resent && admin && !target.licenceVerifiedAt && !(await this.users.hasAnotherActiveAdmin(scope, id));
    if (patch.licence && (!resent || attestsOwn)) {
      if (!admin) throw new AppError('forbidden', 'A licence is changed by an admin of the clinic, who attests it');
      // Another admin attests it; only a practice with no other active admin (a solo practitioner)
      // records its own, and the licence then names them as the one who attested it.
      if (own && (await this.users.hasAnotherActiveAdmin(scope, id))) {
        throw new AppError('forbidden', 'Your licence is changed by another admin of the clinic, who attests it');
      }
      // Recorded by the clinic's admin, who checked it: that is the attestation, and it is theirs.
      changes.licenceNumber = patch.licence.number;
      changes.licenceRegion = patch.licence.region;
      changes.licenceExpiresOn = patch.licence.expiresOn;
      changes.licenceVerifiedAt = now;
      changes.licenceVerifiedBy = principal.userId;
    }
    if (nothingToChange(changes)) return userView(target, { now, withEmail: true });
    const updated = await this.db.transaction(async (tx) => {
      let rightsChanged = false;
      if (patch.isAdmin !== undefined) {
        // The clinic before the user, then the rights as they are now: of two admins changing them
        // at once, only the one who changes them tells the user.
        await this.lockClinicAsAdmin(scope, tx, principal);
        const current = await this.users.own(scope, id, tx, true);
        // Rights as they are already: nothing to change, tell or record.
        if (current?.isAdmin === patch.isAdmin) {
          changes.isAdmin = undefined;
          if (nothingToChange(changes)) return current;
        } else if (current) {
          rightsChanged = true;
          if (!patch.isAdmin) await this.users.assertAnotherActiveAdmin(scope, tx, id);
          // Someone who changes their own rights knows it (their own app reads the answer).
          if (!own)
            await this.users.announceAdminRights(scope, tx, {
              eventType: ADMIN_RIGHTS_CHANGED_EVENT,
              userId: id,
              isAdmin: patch.isAdmin,
            });
        }
      }
      const row = await this.users.updateOwn(scope, id, changes, now, tx);
      if (row) {
        // Who changed a profile, and above all who granted or removed admin rights, is the clinic's record.
        const fields = Object.entries(changes).flatMap(([field, value]) => (value === undefined ? [] : [field]));
        await this.audit.record(
          {
            by: principal,
            action: 'practitioner.update',
            resourceType: 'user',
            resourceId: id,
            details: { fields },
            occurredAt: now,
          },
          tx,
        );
        if (rightsChanged) {
          await this.audit.record(
            {
              by: principal,
              action: 'practitioner.admin_rights',
              resourceType: 'user',
              resourceId: id,
              details: { isAdmin: patch.isAdmin },
              occurredAt: now,
            },
            tx,
          );
        }
      }
      return row;
    });
    if (!updated) throw notFound('practitioner');
    return userView(updated, { now, withEmail: true });
  }

  /**
   * Takes the clinic's lock, before any user's (as every change of admin rights or activation does,
   * else two of them deadlock), and checks the caller again under it: an admin deactivated or
   * stripped of their rights meanwhile, by a change this one waited for, changes nothing.
   */
  private async lockClinicAsAdmin(scope: ClinicScope, tx: EntityManager, principal: Principal): Promise<void> {
    await this.users.lockClinic(scope, tx);
    const actor = await this.users.own(scope, principal.userId, tx);
    if (!actor || actor.deactivatedAt) throw new AppError('unauthenticated', 'Your account has been deactivated');
    if (!actor.isAdmin) throw new AppError('forbidden', 'Only an admin of the clinic may do this');
  }

  async me(principal: Principal): Promise<UserView> {
    const row = await this.users.self(ClinicScope.of(principal));
    if (!row) throw notFound('practitioner');
    return userView(row, { now: this.clock.now(), withEmail: true, clinic: clinicSummary(row) });
  }
}

function sameLicence(user: UserRow, licence: LicenceInput): boolean {
  return (
    user.licenceNumber === licence.number && user.licenceRegion === licence.region && user.licenceExpiresOn === licence.expiresOn
  );
}

const PARTNER_BY_RANK: Record<number, PartnerKind | null> = { 0: 'mine', 1: 'clinic', 2: null };

/** A directory cursor whose partner rank is one of PARTNER_BY_RANK's: another rank read past every row (an empty page). */
function directoryCursor(cursor: string, list: string, parts: CursorPart[]): ReturnType<typeof decodeCursor> {
  const values = decodeCursor(cursor, list, parts);
  if (!Object.hasOwn(PARTNER_BY_RANK, values[0])) {
    throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid' }]);
  }
  return values;
}

/** Centroids are a few km across: one decimal close by, whole km farther out. */
function roundKm(km: number): number {
  return km < 10 ? Math.round(km * 10) / 10 : Math.round(km);
}
