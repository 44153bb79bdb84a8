import { Injectable } from '@nestjs/common';
import type { RequestClient } from '@referloop/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { cursorTimestamp, outboxInsert, queryRows, sql } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';
import type { SessionEndReason } from '../entities/auth-session.entity';
import { LiveSessions, type SessionAccess } from '../auth/live-sessions';
import type { ClinicScope } from '../tenancy/clinic-scope';

/** A refresh token with its session, as a refresh reads it (locked). */
export interface RefreshTokenRow {
  session_id: string;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  /** SHA-256 of the `Idempotency-Key` of the refresh that rotated it. */
  retry_key_hash: string | null;
  /** The token that rotation issued. */
  successor_id: string | null;
  revoked_at: Date | null;
  revoked_reason: SessionEndReason | null;
  user_id: string;
  session_created_at: Date;
}

export interface SessionRow {
  id: string;
  created_at: Date;
  last_used_at: Date | null;
  user_agent: string | null;
  ip: string | null;
  /** The keyset position: the last use (else the sign-in), UTC with microseconds. */
  cursor_ts: string;
}

export interface ResetRow {
  id: string;
  user_id: string;
  expires_at: Date;
  used_at: Date | null;
}

/** Which sessions to end: one, or every one of a user (but `except`). */
export type SessionSelection = { sessionId: string } | { userId: string; except?: string };

/**
 * The auth guard's check (every authenticated request runs it: prepared once per connection):
 * the session is live and its user active.
 */
const authenticateSql = (sessionId: string, userId: string, startedAfter: Date) =>
  sql`SELECT u.clinic_id, u.role, u.is_admin, s.created_at FROM auth_sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = ${sql.param(sessionId, 'uuid')} AND s.user_id = ${sql.param(userId, 'uuid')} AND s.revoked_at IS NULL
         AND s.created_at > ${sql.param(startedAfter, 'timestamptz')} AND u.deactivated_at IS NULL`;

/** Every statement on auth_sessions, refresh_tokens and password_resets. */
@Injectable()
export class SessionsStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly liveSessions: LiveSessions,
  ) {}

  /**
   * The signed-in user's clinic, role and admin flag when the session is live; null otherwise.
   * A session found live a moment ago is answered from memory (see LiveSessions).
   */
  async authenticate(sessionId: string, userId: string, startedAfter: Date): Promise<SessionAccess | null> {
    const known = this.liveSessions.recall(sessionId, userId, startedAfter);
    if (known) return known;
    const ticket = this.liveSessions.ticket();
    const [row] = await queryRows<SessionAccess & { created_at: Date }>(
      this.db.manager,
      authenticateSql(sessionId, userId, startedAfter),
      { prepare: true },
    );
    if (!row) return null;
    const access = { clinic_id: row.clinic_id, role: row.role, is_admin: row.is_admin };
    this.liveSessions.remember(ticket, sessionId, userId, row.created_at, access);
    return access;
  }

  /** A new session started `now` from `client`. */
  async start(manager: EntityManager, userId: string, now: Date, client: RequestClient): Promise<string> {
    const [session] = await queryRows<{ id: string }>(
      manager,
      sql`INSERT INTO auth_sessions (user_id, created_at, last_used_at, ip, user_agent)
          VALUES (${sql.param(userId, 'uuid')}, ${sql.param(now, 'timestamptz')}, ${sql.param(now, 'timestamptz')}, ${client.ip ?? null}, ${client.userAgent ?? null})
          RETURNING id`,
    );
    return session.id;
  }

  /** A session's refresh token (stored as a hash). */
  async addRefreshToken(
    manager: EntityManager,
    token: { id: string; sessionId: string; tokenHash: string; expiresAt: Date },
  ): Promise<void> {
    await queryRows(
      manager,
      sql`INSERT INTO refresh_tokens (id, session_id, token_hash, expires_at)
          VALUES (${sql.param(token.id, 'uuid')}, ${sql.param(token.sessionId, 'uuid')}, ${token.tokenHash},
                  ${sql.param(token.expiresAt, 'timestamptz')})`,
    );
  }

  /** A refresh token and its session, both locked for the transaction. */
  async lockRefreshToken(manager: EntityManager, tokenId: string): Promise<RefreshTokenRow | null> {
    const [row] = await queryRows<RefreshTokenRow>(
      manager,
      sql`SELECT t.session_id, t.token_hash, t.expires_at, t.used_at, t.retry_key_hash, t.successor_id,
                 s.revoked_at, s.revoked_reason, s.user_id, s.created_at AS session_created_at
            FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id
           WHERE t.id = ${sql.param(tokenId, 'uuid')}
             FOR UPDATE OF t, s`,
    );
    return row ?? null;
  }

  /**
   * Whether a token of a session whose lock the caller holds was used. A statement of its own: the
   * locking read that waited for that lock shows the rows it did not lock as they were before.
   */
  async wasUsed(manager: EntityManager, tokenId: string): Promise<boolean> {
    const [row] = await queryRows<{ used: boolean }>(
      manager,
      sql`SELECT used_at IS NOT NULL AS used FROM refresh_tokens WHERE id = ${sql.param(tokenId, 'uuid')}`,
    );
    return row?.used ?? true;
  }

  /**
   * Rotation: the token is used up, it names the token it was rotated to and the retry key that may
   * ask for that one again, and its session was used now from `client`.
   */
  async rotated(
    manager: EntityManager,
    tokenId: string,
    rotation: { now: Date; client: RequestClient; retryKeyHash: string | null; successorId: string },
  ): Promise<void> {
    const now = sql.param(rotation.now, 'timestamptz');
    await queryRows(
      manager,
      sql`WITH token AS (
            UPDATE refresh_tokens SET used_at = ${now}, retry_key_hash = ${rotation.retryKeyHash},
                   successor_id = ${sql.param(rotation.successorId, 'uuid')}
             WHERE id = ${sql.param(tokenId, 'uuid')}
            RETURNING session_id)
          UPDATE auth_sessions SET last_used_at = ${now}, ip = coalesce(${rotation.client.ip ?? null}, ip),
                 user_agent = coalesce(${rotation.client.userAgent ?? null}, user_agent)
           WHERE id = (SELECT session_id FROM token)`,
    );
  }

  /**
   * The caller's live sessions (not revoked, started after `startedAfter`, with a refresh token
   * usable at `now`), most recently used first: `limit` rows after the keyset (last use, id).
   */
  async live(
    scope: ClinicScope,
    window: { startedAfter: Date; now: Date },
    page: { after?: { ts: string; id: string }; limit: number },
  ): Promise<SessionRow[]> {
    const lastUse = sql`coalesce(s.last_used_at, s.created_at)`;
    const after = page.after
      ? sql`AND (${lastUse}, s.id) < (${sql.param(page.after.ts, 'timestamptz')}, ${sql.param(page.after.id, 'uuid')})`
      : sql.empty;
    return queryRows<SessionRow>(
      this.db.manager,
      sql`SELECT s.id, s.created_at, s.last_used_at, s.user_agent, s.ip, ${cursorTimestamp(lastUse)} AS cursor_ts
            FROM auth_sessions s
           WHERE s.user_id = ${sql.param(scope.userId, 'uuid')} AND s.revoked_at IS NULL
             AND s.created_at > ${sql.param(window.startedAfter, 'timestamptz')}
             AND EXISTS (SELECT 1 FROM refresh_tokens t
                          WHERE t.session_id = s.id AND t.used_at IS NULL AND t.expires_at > ${sql.param(window.now, 'timestamptz')})
             ${after}
           ORDER BY ${lastUse} DESC, s.id DESC LIMIT ${page.limit}`,
    );
  }

  /** Ends one of the caller's own live sessions; false when there is none such. */
  async endOwn(manager: EntityManager, scope: ClinicScope, sessionId: string, now: Date): Promise<boolean> {
    const ended = await queryRows(
      manager,
      sql`UPDATE auth_sessions SET revoked_at = ${sql.param(now, 'timestamptz')}, revoked_reason = 'ended_by_user'
           WHERE id = ${sql.param(sessionId, 'uuid')} AND user_id = ${sql.param(scope.userId, 'uuid')} AND revoked_at IS NULL
          RETURNING id`,
    );
    this.liveSessions.forgetUser(scope.userId);
    return ended.length > 0;
  }

  /** Revokes one session, every session of a user, or every one but `except`; answers how many were live. */
  async end(manager: EntityManager, which: SessionSelection, reason: SessionEndReason, now: Date): Promise<number> {
    const where =
      'sessionId' in which
        ? sql`id = ${sql.param(which.sessionId, 'uuid')}`
        : sql`user_id = ${sql.param(which.userId, 'uuid')} ${which.except ? sql`AND id <> ${sql.param(which.except, 'uuid')}` : sql.empty}`;
    const ended = await queryRows<{ user_id: string }>(
      manager,
      sql`UPDATE auth_sessions SET revoked_at = ${sql.param(now, 'timestamptz')}, revoked_reason = ${reason}
           WHERE ${where} AND revoked_at IS NULL RETURNING user_id`,
    );
    // At once here; other processes when the commit's NOTIFY reaches them.
    for (const userId of new Set(ended.map((row) => row.user_id))) this.liveSessions.forgetUser(userId);
    return ended.length;
  }

  /**
   * Opens a password reset for the active account with this email and its outbox event (`eventType`,
   * with the reset's id), using up the account's earlier open resets: the newest link is the one
   * that works. An account that has had `perWindow` resets since `windowStart` gets none (nor an
   * email): `limited`. Answers the account, or null (nothing written) for an unknown, invited-only
   * or deactivated address.
   */
  async requestReset(
    manager: EntityManager,
    reset: { id: string; email: string; tokenHash: string; now: Date; expiresAt: Date; eventType: string },
    limit: { windowStart: Date; perWindow: number },
  ): Promise<{ userId: string; clinicId: string; limited: boolean } | null> {
    const account = sql`SELECT id, clinic_id FROM users
             WHERE lower(email) = lower(${sql.param(reset.email, 'text')}) AND deactivated_at IS NULL AND activated_at IS NOT NULL`;
    // The account locked in its own statement (as lockReset does), so the next one's snapshot sees
    // the resets of a request that held the lock before: two at once cannot both count under the limit.
    await queryRows(manager, sql`${account} FOR NO KEY UPDATE`);
    const now = sql.param(reset.now, 'timestamptz');
    const [row] = await queryRows<{ userId: string; clinicId: string; limited: boolean }>(
      manager,
      sql`WITH target AS (
            SELECT a.id, a.clinic_id,
                   (SELECT count(*) FROM password_resets r
                     WHERE r.user_id = a.id AND r.created_at > ${sql.param(limit.windowStart, 'timestamptz')}) >= ${sql.param(limit.perWindow, 'int')} AS limited
              FROM (${account}) a
          ), superseded AS (
            UPDATE password_resets SET used_at = ${now}
             WHERE user_id = (SELECT id FROM target WHERE NOT limited) AND used_at IS NULL
          ), reset AS (
            INSERT INTO password_resets (id, user_id, token_hash, expires_at, created_at)
            SELECT ${sql.param(reset.id, 'uuid')}, id, ${sql.param(reset.tokenHash, 'text')}, ${sql.param(reset.expiresAt, 'timestamptz')}, ${now}
              FROM target WHERE NOT limited
            RETURNING id
          ), outbox AS (
            ${outboxInsert(sql`reset`, { referralId: sql`NULL::uuid`, referralEventId: sql`NULL::uuid` }, { type: reset.eventType, payload: { passwordResetId: reset.id } })}
          )
          SELECT id AS "userId", clinic_id AS "clinicId", limited FROM target`,
    );
    return row ?? null;
  }

  /**
   * The reset with this token hash, read after locking its account: a reset uses up all of the
   * account's open resets and sets its password, so two links of one account confirmed at once (or
   * a confirm and a password change) each locking their own row first waited for each other: a
   * deadlock. Locked account first, the second finds its reset used.
   */
  async lockReset(manager: EntityManager, tokenHash: string): Promise<ResetRow | null> {
    const hash = sql.param(tokenHash, 'text');
    await queryRows(
      manager,
      sql`SELECT u.id FROM users u WHERE u.id = (SELECT r.user_id FROM password_resets r WHERE r.token_hash = ${hash}) FOR NO KEY UPDATE`,
    );
    return this.reset(tokenHash, manager);
  }

  /** The reset with this token hash (nothing locked: its link's page first reads it). */
  async reset(tokenHash: string, manager: EntityManager = this.db.manager): Promise<ResetRow | null> {
    const [row] = await queryRows<ResetRow>(
      manager,
      sql`SELECT r.id, r.user_id, r.expires_at, r.used_at FROM password_resets r WHERE r.token_hash = ${sql.param(tokenHash, 'text')}`,
    );
    return row ?? null;
  }

  /** Uses up every open reset of a user (a reset link asked for before a change must not undo it). */
  async useResets(manager: EntityManager, userId: string, now: Date): Promise<void> {
    await queryRows(
      manager,
      sql`UPDATE password_resets SET used_at = ${sql.param(now, 'timestamptz')} WHERE user_id = ${sql.param(userId, 'uuid')} AND used_at IS NULL`,
    );
  }
}
