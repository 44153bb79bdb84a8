import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { cursorTimestamp, outboxInsert, queryRows, sql } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';
import type { InvitationEntity } from '../entities/invitation.entity';
import type { ClinicScope } from '../tenancy/clinic-scope';

/** An invitation row, columns aliased to the entity's property names. */
export type InvitationRow = Omit<InvitationEntity, never>;

/** What an admin sees of an invitation: its row and whether the invitee was deactivated meanwhile. */
export type OwnInvitationRow = InvitationRow & { inviteeDeactivated: boolean };

export type InvitationListRow = Pick<
  OwnInvitationRow,
  'id' | 'email' | 'fullName' | 'role' | 'acceptedAt' | 'revokedAt' | 'expiresAt' | 'createdAt' | 'inviteeDeactivated'
> & { cursorTs: string };

/** A new or re-issued link: its token's hash and version, where it points, until when. */
export interface InvitationLink {
  tokenHash: string;
  tokenVersion: number;
  linkBase: string | null;
  expiresAt: Date;
}

const INVITATION_COLUMNS = sql`i.id, i.clinic_id AS "clinicId", i.user_id AS "userId", i.email, i.full_name AS "fullName", i.role,
  i.token_hash AS "tokenHash", i.token_version AS "tokenVersion", i.link_base AS "linkBase", i.expires_at AS "expiresAt",
  i.accepted_at AS "acceptedAt", i.revoked_at AS "revokedAt", i.created_at AS "createdAt"`;

/** An admin may deactivate someone before they join: their link then no longer works. */
const INVITEE_DEACTIVATED = sql`EXISTS (SELECT 1 FROM users u WHERE u.id = i.user_id AND u.deactivated_at IS NOT NULL) AS "inviteeDeactivated"`;

/** The outbox row that has the worker email an invitation's link (ids only), for each row of the CTE `invitation`. */
const emailLink = (eventType: string, invitationId: string, tokenVersion: number) =>
  outboxInsert(
    sql`invitation`,
    { referralId: sql`NULL::uuid`, referralEventId: sql`NULL::uuid` },
    { type: eventType, payload: { invitationId, tokenVersion } },
  );

/** Every statement on `invitations`: an admin's own clinic's, except the invitee's acceptance by token. */
@Injectable()
export class InvitationsStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Newest first, `limit` rows after the keyset (created_at, id). */
  async page(scope: ClinicScope, page: { after?: [string, string]; limit: number }): Promise<InvitationListRow[]> {
    const after = page.after
      ? sql`AND (i.created_at, i.id) < (${sql.param(page.after[0], 'timestamptz')}, ${sql.param(page.after[1], 'uuid')})`
      : sql.empty;
    return queryRows<InvitationListRow>(
      this.db.manager,
      sql`SELECT i.id, i.email, i.full_name AS "fullName", i.role, i.accepted_at AS "acceptedAt", i.revoked_at AS "revokedAt",
                 i.expires_at AS "expiresAt", i.created_at AS "createdAt", ${INVITEE_DEACTIVATED},
                 ${cursorTimestamp(sql`i.created_at`)} AS "cursorTs"
            FROM invitations i WHERE ${scope.owns(sql`i.clinic_id`)} ${after}
           ORDER BY i.created_at DESC, i.id DESC LIMIT ${page.limit}`,
    );
  }

  /**
   * An invitation of the caller's clinic, locked for the transaction: its invitee's account first
   * (a revoke may delete it), then the invitation, the order every path locks them in.
   */
  async lockOwn(scope: ClinicScope, manager: EntityManager, id: string): Promise<OwnInvitationRow | null> {
    await queryRows(
      manager,
      sql`SELECT u.id FROM users u
           WHERE u.id = (SELECT i.user_id FROM invitations i WHERE i.id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`i.clinic_id`)})
           FOR UPDATE`,
    );
    const [row] = await queryRows<OwnInvitationRow>(
      manager,
      sql`SELECT ${INVITATION_COLUMNS}, ${INVITEE_DEACTIVATED} FROM invitations i
           WHERE i.id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`i.clinic_id`)} FOR UPDATE`,
    );
    return row ?? null;
  }

  /** The newest open (not accepted, not revoked) invitation of an invitee of the caller's clinic, locked. */
  async lockOpenOf(scope: ClinicScope, manager: EntityManager, userId: string): Promise<InvitationRow | null> {
    const [row] = await queryRows<InvitationRow>(
      manager,
      sql`SELECT ${INVITATION_COLUMNS} FROM invitations i
           WHERE i.user_id = ${sql.param(userId, 'uuid')} AND ${scope.owns(sql`i.clinic_id`)}
             AND i.accepted_at IS NULL AND i.revoked_at IS NULL
           ORDER BY i.created_at DESC LIMIT 1 FOR UPDATE`,
    );
    return row ?? null;
  }

  /** A new invitation of an invitee of the caller's clinic, and the outbox row that emails it (`eventType`). */
  async insert(
    scope: ClinicScope,
    manager: EntityManager,
    invitation: { id: string; userId: string; email: string; fullName: string; role: string } & InvitationLink,
    now: Date,
    eventType: string,
  ): Promise<void> {
    await queryRows(
      manager,
      sql`WITH invitation AS (
            INSERT INTO invitations (id, clinic_id, user_id, email, full_name, role, token_hash, token_version, link_base, expires_at, created_at)
            VALUES (${sql.param(invitation.id, 'uuid')}, ${sql.param(scope.clinicId, 'uuid')}, ${sql.param(invitation.userId, 'uuid')},
                    ${invitation.email}, ${invitation.fullName}, ${invitation.role}, ${invitation.tokenHash}, ${invitation.tokenVersion},
                    ${invitation.linkBase}, ${sql.param(invitation.expiresAt, 'timestamptz')}, ${sql.param(now, 'timestamptz')})
            RETURNING id
          )
          ${emailLink(eventType, invitation.id, invitation.tokenVersion)}`,
    );
  }

  /** The next link of an open invitation of the caller's clinic (and, with them, new details), and the outbox row that emails it. */
  async reissue(
    scope: ClinicScope,
    manager: EntityManager,
    id: string,
    link: InvitationLink,
    details: { fullName?: string; role?: string },
    eventType: string,
  ): Promise<void> {
    await queryRows(
      manager,
      sql`WITH invitation AS (
            UPDATE invitations i SET token_hash = ${link.tokenHash}, token_version = ${link.tokenVersion}, link_base = ${link.linkBase},
                   expires_at = ${sql.param(link.expiresAt, 'timestamptz')}
                   ${details.fullName !== undefined ? sql`, full_name = ${details.fullName}` : sql.empty}
                   ${details.role !== undefined ? sql`, role = ${details.role}` : sql.empty}
             WHERE i.id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`i.clinic_id`)}
            RETURNING id
          )
          ${emailLink(eventType, id, link.tokenVersion)}`,
    );
  }

  /**
   * Ends the links of the open invitation of a user of the caller's clinic without revoking it (the
   * user is deactivated): no token hashes to `void:<id>`, and the new version makes a queued email
   * of the old link stale. A resend issues a working one.
   */
  async voidOpenLinks(scope: ClinicScope, manager: EntityManager, userId: string): Promise<void> {
    await queryRows(
      manager,
      sql`UPDATE invitations i SET token_hash = 'void:' || i.id::text, token_version = i.token_version + 1
           WHERE i.user_id = ${sql.param(userId, 'uuid')} AND ${scope.owns(sql`i.clinic_id`)}
             AND i.accepted_at IS NULL AND i.revoked_at IS NULL`,
    );
  }

  /** Revokes an invitation of the caller's clinic. */
  async revoke(scope: ClinicScope, manager: EntityManager, id: string, now: Date): Promise<void> {
    await queryRows(
      manager,
      sql`UPDATE invitations i SET revoked_at = ${sql.param(now, 'timestamptz')}
           WHERE i.id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`i.clinic_id`)}`,
    );
  }

  /** The invitation with this token hash, as its link's page first reads it (nothing locked). */
  byTokenHash(tokenHash: string): Promise<InvitationRow | null> {
    return this.withTokenHash(this.db.manager, tokenHash, false);
  }

  /** Accepting (no signed-in caller: the token is the credential): the invitation with this token hash, locked. */
  async lockByTokenHash(manager: EntityManager, tokenHash: string): Promise<InvitationRow | null> {
    // The invitee's account first, then the invitation, as everywhere (the other order deadlocked an
    // acceptance racing a deactivation).
    await queryRows(
      manager,
      sql`SELECT u.id FROM users u WHERE u.id = (SELECT i.user_id FROM invitations i WHERE i.token_hash = ${tokenHash}) FOR NO KEY UPDATE`,
    );
    return this.withTokenHash(manager, tokenHash, true);
  }

  private async withTokenHash(manager: EntityManager, tokenHash: string, forUpdate: boolean): Promise<InvitationRow | null> {
    const [row] = await queryRows<InvitationRow>(
      manager,
      sql`SELECT ${INVITATION_COLUMNS} FROM invitations i WHERE i.token_hash = ${tokenHash}${forUpdate ? sql` FOR UPDATE` : sql.empty}`,
    );
    return row ?? null;
  }

  async markAccepted(manager: EntityManager, id: string, now: Date): Promise<void> {
    await queryRows(
      manager,
      sql`UPDATE invitations SET accepted_at = ${sql.param(now, 'timestamptz')} WHERE id = ${sql.param(id, 'uuid')}`,
    );
  }
}
