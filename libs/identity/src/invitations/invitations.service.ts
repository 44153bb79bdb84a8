import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  AppError,
  type AuditAction,
  Clock,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  type Page,
  type Principal,
  toPage,
} from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { invitationToken, invitationUrl, sha256 } from '../auth/secret-token';
import type { InvitationEntity } from '../entities/invitation.entity';
import type { PractitionerInput } from '../inputs';
import { emailTaken } from '../identity.errors';
import { type InvitationRow, InvitationsStore, type OwnInvitationRow } from '../store/invitations.store';
import { type UserRow, UsersStore } from '../store/users.store';
import { ClinicScope } from '../tenancy/clinic-scope';
import { type UserView, userView } from '../views';

/** Outbox event of a new or re-sent invitation: the worker emails its link. */
export const INVITATION_CREATED_EVENT = 'invitation.created';

/** What an invite or a resend hands the admin: the link to pass on. */
export interface Invitation {
  token: string;
  url: string;
  expiresAt: string;
}

export type InvitationStatus = 'pending' | 'accepted' | 'expired' | 'revoked';

export interface InvitationView {
  id: string;
  email: string;
  fullName: string;
  role: string;
  status: InvitationStatus;
  createdAt: string;
  expiresAt: string;
}

export function invitationStatus(
  i: Pick<OwnInvitationRow, 'acceptedAt' | 'revokedAt' | 'expiresAt' | 'inviteeDeactivated'>,
  now: Date,
): InvitationStatus {
  if (i.acceptedAt) return 'accepted';
  // Deactivating someone who has not joined withdraws their invitation (reactivating restores it).
  if (i.revokedAt || i.inviteeDeactivated) return 'revoked';
  return i.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending';
}

/**
 * Practitioner invitations of a clinic (admins only; the controllers check that). An invitee is a
 * user row without a password until they accept; they are not in the directory meanwhile. A
 * resend issues the next token version on the same row, so only the newest link works, and
 * revoking deletes the never-activated user, which frees the email for a new invite or sign-up.
 */
@Injectable()
export class InvitationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersStore,
    private readonly invitations: InvitationsStore,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Adds a practitioner to the caller's clinic and emails them an invitation (an outbox event in
   * the same transaction); the link is also answered. Inviting someone whose invitation is still
   * open (not accepted, in this clinic) re-sends it with the details given now.
   * `linkBase` is the address the request came in on (used when PUBLIC_URL is not set).
   */
  async invite(
    principal: Principal,
    input: PractitionerInput,
    linkBase: string | null,
  ): Promise<UserView & { invitation: Invitation }> {
    return this.db.transaction((tx) => this.inviteIn(tx, principal, input, linkBase));
  }

  /** `raced`: a concurrent invite (or sign-up) took the email after this one looked; look once more. */
  private async inviteIn(
    tx: EntityManager,
    principal: Principal,
    input: PractitionerInput,
    linkBase: string | null,
    raced = false,
  ): Promise<UserView & { invitation: Invitation }> {
    const scope = ClinicScope.of(principal);
    const now = this.clock.now();
    const profile = {
      fullName: input.fullName,
      role: input.role,
      licenceNumber: input.licence.number,
      licenceRegion: input.licence.region,
      licenceExpiresOn: input.licence.expiresOn,
      // Entered by the clinic's admin, who checked it: that is the verification.
      licenceVerifiedAt: now,
      licenceVerifiedBy: principal.userId,
      specialties: input.specialties ?? [],
      languages: input.languages ?? [],
      acceptingReferrals: input.acceptingReferrals ?? true,
      bio: input.bio ?? null,
    };
    const existing = await this.users.lockAccountByEmail(tx, input.email);
    if (existing && (existing.activatedAt || existing.clinicId !== principal.clinicId)) throw emailTaken('email', 'invite');

    let user: UserRow;
    let invitation: Invitation;
    if (existing) {
      // Inviting again someone deactivated before they joined brings them back.
      user = (await this.users.updateOwn(scope, existing.id, { ...profile, deactivatedAt: null }, now, tx)) as UserRow;
      const open = await this.invitations.lockOpenOf(scope, tx, user.id);
      invitation = open
        ? await this.reissue(scope, tx, open, linkBase, { fullName: user.fullName, role: input.role })
        : await this.issue(scope, tx, user, linkBase);
    } else {
      const inserted = await this.users.insertIfEmailFree(
        tx,
        { ...profile, clinicId: principal.clinicId, email: input.email, passwordHash: null, activatedAt: null },
        now,
      );
      // The winner committed before this insert returned: a second look (a new statement) sees its row.
      if (!inserted) {
        if (raced) throw emailTaken('email', 'invite');
        return this.inviteIn(tx, principal, input, linkBase, true);
      }
      user = inserted;
      invitation = await this.issue(scope, tx, user, linkBase);
    }
    await this.audited(tx, principal, 'invitation.create', user.id, now);
    return { ...userView(user, { now, withEmail: true }), invitation };
  }

  /** Newest first, keyset-paged by (created_at, id) with the timestamp at full (microsecond) precision. */
  async list(principal: Principal, query: { cursor?: string; limit?: number }): Promise<Page<InvitationView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor
      ? (decodeCursor(query.cursor, 'invitations', ['timestamp', 'uuid']) as [string, string])
      : undefined;
    const rows = await this.invitations.page(ClinicScope.of(principal), { after, limit: limit + 1 });
    const now = this.clock.now();
    return toPage(
      rows,
      limit,
      (i) => ({
        id: i.id,
        email: i.email,
        fullName: i.fullName,
        role: i.role,
        status: invitationStatus(i, now),
        createdAt: i.createdAt.toISOString(),
        expiresAt: i.expiresAt.toISOString(),
      }),
      (i) => [i.cursorTs, i.id],
      'invitations',
    );
  }

  /** A new link (and email) for an invitation not yet accepted; the previous link stops working. */
  async resend(principal: Principal, id: string, linkBase: string | null): Promise<{ invitation: Invitation }> {
    const scope = ClinicScope.of(principal);
    return this.db.transaction(async (tx) => {
      const row = await this.lockOwn(scope, tx, id);
      const status = invitationStatus(row, this.clock.now());
      if (status === 'accepted' || status === 'revoked' || !row.userId) {
        throw new AppError('invalid_transition', `This invitation was ${status}; invite the person again instead`, {
          currentStatus: status,
          allowedActions: [],
        });
      }
      const invitation = await this.reissue(scope, tx, row, linkBase, {});
      await this.audited(tx, principal, 'invitation.resend', row.userId, this.clock.now());
      return { invitation };
    });
  }

  /**
   * The invitee was deactivated before joining: their links stop working (a hash nothing matches,
   * and a new version that makes a queued email of the old link stale). The invitation stays open.
   */
  async closeLinksOf(scope: ClinicScope, tx: EntityManager, userId: string): Promise<void> {
    await this.invitations.voidOpenLinks(scope, tx, userId);
  }

  /** The invitee was reactivated before joining: their open invitation gets a new link, emailed to them. */
  async reopenFor(scope: ClinicScope, tx: EntityManager, userId: string): Promise<void> {
    const open = await this.invitations.lockOpenOf(scope, tx, userId);
    if (open) await this.reissue(scope, tx, open, null, {});
  }

  /**
   * Revokes an invitation not yet accepted: its link stops working and the invitee, who never
   * signed in, is removed, so the email can be invited again or sign up. Revoking twice is a no-op.
   */
  async revoke(principal: Principal, id: string): Promise<void> {
    const scope = ClinicScope.of(principal);
    await this.db.transaction(async (tx) => {
      const row = await this.lockOwn(scope, tx, id);
      if (row.acceptedAt) {
        throw new AppError('invalid_transition', 'This invitation was accepted: the practitioner is a member of the clinic', {
          currentStatus: 'accepted',
          allowedActions: [],
        });
      }
      if (row.revokedAt) return;
      const now = this.clock.now();
      await this.invitations.revoke(scope, tx, id, now);
      await this.audited(tx, principal, 'invitation.revoke', row.userId, now);
      // Nothing else points at someone who never signed in (the directory and referrals skip
      // invitees); were it otherwise, the row stays and only the link dies.
      if (row.userId) await this.users.deleteNeverActivated(scope, tx, row.userId);
    });
  }

  /** Who invited, re-invited or revoked whom (the invitee's account), with the change's transaction. */
  private audited(
    tx: EntityManager,
    principal: Principal,
    action: AuditAction,
    inviteeId: string | null,
    now: Date,
  ): Promise<void> {
    return this.audit.record({ by: principal, action, resourceType: 'user', resourceId: inviteeId, occurredAt: now }, tx);
  }

  private async lockOwn(scope: ClinicScope, tx: EntityManager, id: string): Promise<OwnInvitationRow> {
    const row = await this.invitations.lockOwn(scope, tx, id);
    if (!row) throw new AppError('not_found', 'The invitation was not found');
    return row;
  }

  private async issue(scope: ClinicScope, tx: EntityManager, user: UserRow, linkBase: string | null): Promise<Invitation> {
    const id = randomUUID();
    const token = invitationToken(this.config.jwt.secret, id, 1);
    const expiresAt = this.expiry();
    await this.invitations.insert(
      scope,
      tx,
      {
        id,
        userId: user.id,
        email: user.email,
        fullName: user.fullName,
        role: user.role,
        tokenHash: sha256(token),
        tokenVersion: 1,
        linkBase,
        expiresAt,
      },
      this.clock.now(),
      INVITATION_CREATED_EVENT,
    );
    return { token, url: invitationUrl(this.config, linkBase, token), expiresAt: expiresAt.toISOString() };
  }

  /** The next token version of an open invitation, with a fresh expiry and an email of the new link. */
  private async reissue(
    scope: ClinicScope,
    tx: EntityManager,
    row: InvitationRow,
    linkBase: string | null,
    details: Partial<Pick<InvitationEntity, 'fullName' | 'role'>>,
  ): Promise<Invitation> {
    const tokenVersion = row.tokenVersion + 1;
    const token = invitationToken(this.config.jwt.secret, row.id, tokenVersion);
    const expiresAt = this.expiry();
    // The worker skips the emails of earlier versions: only the newest link is ever sent.
    await this.invitations.reissue(
      scope,
      tx,
      row.id,
      { tokenHash: sha256(token), tokenVersion, linkBase, expiresAt },
      details,
      INVITATION_CREATED_EVENT,
    );
    return { token, url: invitationUrl(this.config, linkBase, token), expiresAt: expiresAt.toISOString() };
  }

  private expiry(): Date {
    return new Date(this.clock.now().getTime() + this.config.invitationTtlHours * 3600_000);
  }
}
