import { createSecretKey, type KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, Clock, type Principal, RequestContext, type Role } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { isUniqueViolation, outboxInsertSql, queryRows, SqlParams } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import type { SessionEndReason } from '../entities/auth-session.entity';
import { ClinicEntity } from '../entities/clinic.entity';
import { InvitationEntity } from '../entities/invitation.entity';
import { UserEntity } from '../entities/user.entity';
import type { RegisterClinicInput } from '../inputs';
import { type ClinicView, clinicView, type UserView, userView } from '../views';
import { type AccessTokenCheck, verifyAccessToken } from './access-token';
import { PasswordHasher } from './password-hasher';
import { newSecretToken, passwordResetToken, sha256 } from './secret-token';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Lifetime of the access token in seconds. */
  expiresIn: number;
}

export interface SignedIn extends TokenPair {
  user: UserView;
}

/** A live session as its owner sees it in their list. */
export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string | null;
  userAgent: string | null;
  ip: string | null;
  /** The session of the access token that asked. */
  current: boolean;
}

/** Outbox event of a requested password reset: the worker emails the link. */
export const PASSWORD_RESET_REQUESTED_EVENT = 'password_reset.requested';
/** How long a password reset link works. */
export const PASSWORD_RESET_TTL_MS = 3600_000;

interface AccessClaims {
  sub: string;
  cid: string;
  role: Role;
  sid: string;
}

const ISSUER = 'referloop';
const AUDIENCE = 'referloop-api';
const unauthenticated = (detail = 'The credentials are not valid') => new AppError('unauthenticated', detail);

@Injectable()
export class AuthService {
  /**
   * The HS256 key as a KeyObject, made once: given a string, jsonwebtoken first tries (and fails)
   * to parse it as a public key on every call.
   */
  private readonly jwtKey: KeyObject;
  private readonly accessTokenCheck: AccessTokenCheck;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jwt: JwtService,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.jwtKey = createSecretKey(Buffer.from(config.jwt.secret));
    this.accessTokenCheck = { key: this.jwtKey, issuer: ISSUER, audience: AUDIENCE };
  }

  /**
   * `joined` runs in the same transaction once the admin exists (joining through a referral
   * invite): when it throws, nothing is registered.
   */
  async registerClinic(
    input: RegisterClinicInput,
    joined?: (tx: EntityManager, user: { id: string; clinicId: string; role: Role }) => Promise<void>,
  ): Promise<SignedIn & { clinic: ClinicView }> {
    const passwordHash = await this.hasher.hash(input.admin.password);
    try {
      return await this.db.transaction(async (tx) => {
        const clinic = await tx.save(
          tx.create(ClinicEntity, {
            name: input.clinic.name,
            addressLine1: input.clinic.address.line1,
            addressCity: input.clinic.address.city,
            addressRegion: input.clinic.address.region,
            addressPostalCode: input.clinic.address.postalCode,
            addressCountry: input.clinic.address.country,
            phone: input.clinic.phone,
            timezone: input.clinic.timezone,
          }),
        );
        // A solo practitioner is admin and practitioner in one account; otherwise a clinic_admin.
        const practitioner = input.admin.practitioner;
        const user = await tx.save(
          tx.create(UserEntity, {
            clinicId: clinic.id,
            email: input.admin.email,
            passwordHash,
            fullName: input.admin.fullName,
            role: practitioner?.role ?? 'clinic_admin',
            isAdmin: true,
            ...(practitioner
              ? {
                  licenceNumber: practitioner.licence.number,
                  licenceRegion: practitioner.licence.region,
                  licenceExpiresOn: practitioner.licence.expiresOn,
                  // Self-declared: nobody else has checked it yet.
                  licenceVerifiedAt: null,
                  specialties: practitioner.specialties ?? [],
                  languages: practitioner.languages ?? [],
                  acceptingReferrals: practitioner.acceptingReferrals ?? true,
                  bio: practitioner.bio ?? null,
                }
              : {}),
            activatedAt: this.clock.now(),
          }),
        );
        await joined?.(tx, { id: user.id, clinicId: clinic.id, role: user.role });
        const tokens = await this.startSession(tx, user);
        return { clinic: clinicView(clinic), user: this.selfView(user), ...tokens };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_lower_key')) throw new AppError('email_taken');
      throw error;
    }
  }

  /**
   * Signs in. A deactivated account gets the same answer as a wrong password. Success and failure
   * are audited (with the account when the email is known, never the password).
   */
  async login(email: string, password: string): Promise<SignedIn> {
    const user = await this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
    const valid = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !valid || user.deactivatedAt) {
      await this.audit.record({
        action: 'auth.login_failed',
        resourceType: 'user',
        resourceId: user?.id ?? null,
        outcome: 'denied',
        actorId: null,
        clinicId: user?.clinicId ?? null,
        details: { emailSha256: sha256(email.trim().toLowerCase()) },
      });
      throw unauthenticated('The email or password is not correct');
    }
    const tokens = await this.db.transaction(async (tx) => {
      const started = await this.startSession(tx, user);
      await this.audit.record(
        { action: 'auth.login', resourceType: 'user', resourceId: user.id, actorId: user.id, clinicId: user.clinicId },
        tx,
      );
      return started;
    });
    return { user: this.selfView(user), ...tokens };
  }

  /**
   * Rotates a refresh token. Presenting a token that was already rotated is reuse: the whole
   * session (token family) is revoked, so a stolen token stops working for both parties.
   */
  async refresh(refreshToken: string): Promise<SignedIn> {
    const [tokenId, secret] = refreshToken.split('.');
    if (!tokenId || !secret || !/^[0-9a-f-]{36}$/.test(tokenId)) throw unauthenticated();
    const outcome = await this.db.transaction(async (tx): Promise<{ error: AppError } | { signedIn: SignedIn }> => {
      const rows: {
        session_id: string;
        token_hash: string;
        expires_at: Date;
        used_at: Date | null;
        revoked_at: Date | null;
        user_id: string;
        session_created_at: Date;
      }[] = await tx.query(
        `SELECT t.session_id, t.token_hash, t.expires_at, t.used_at, s.revoked_at, s.user_id, s.created_at AS session_created_at
             FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id
            WHERE t.id = $1
            FOR UPDATE OF t, s`,
        [tokenId],
      );
      const row = rows[0];
      if (!row || !sameHash(row.token_hash, sha256(secret)) || row.revoked_at) return { error: unauthenticated() };
      if (row.used_at) {
        await this.endSessions(tx, { sessionId: row.session_id }, 'refresh_token_reuse');
        return { error: unauthenticated('This refresh token was already used; the session has been revoked') };
      }
      const now = this.clock.now();
      if (row.expires_at.getTime() <= now.getTime()) return { error: unauthenticated('The refresh token has expired') };
      const endsAt = this.sessionEnd(row.session_created_at);
      if (endsAt.getTime() <= now.getTime())
        return { error: unauthenticated('The session has reached its maximum age; sign in again') };
      const user = await tx.findOneByOrFail(UserEntity, { id: row.user_id });
      if (user.deactivatedAt) return { error: unauthenticated() };
      await tx.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [tokenId]);
      const client = RequestContext.current();
      await tx.query(
        `UPDATE auth_sessions SET last_used_at = $2, ip = coalesce($3, ip), user_agent = coalesce($4, user_agent) WHERE id = $1`,
        [row.session_id, now, client?.ip ?? null, client?.userAgent ?? null],
      );
      const tokens = await this.issueTokens(tx, user, row.session_id, endsAt);
      return { signedIn: { user: this.selfView(user), ...tokens } };
    });
    // Thrown after the commit, so a reuse revocation is kept.
    if ('error' in outcome) throw outcome.error;
    return outcome.signedIn;
  }

  /** Ends the caller's current session (all of its refresh tokens). */
  async logout(principal: Principal): Promise<void> {
    await this.endSessions(this.db.manager, { sessionId: principal.sessionId }, 'logout');
  }

  /** Ends every session of the caller, the current one included. */
  async logoutAll(principal: Principal): Promise<void> {
    await this.endSessions(this.db.manager, { userId: principal.userId }, 'logout_all');
  }

  /** The caller's live sessions (not revoked, within their maximum age, with a usable refresh token). */
  async sessions(principal: Principal): Promise<{ items: SessionView[]; nextCursor: null }> {
    const now = this.clock.now();
    const rows: { id: string; created_at: Date; last_used_at: Date | null; user_agent: string | null; ip: string | null }[] =
      await this.db.query(
        `SELECT s.id, s.created_at, s.last_used_at, s.user_agent, s.ip
           FROM auth_sessions s
          WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.created_at > $2
            AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id AND t.used_at IS NULL AND t.expires_at > $3)
          ORDER BY coalesce(s.last_used_at, s.created_at) DESC, s.id`,
        [principal.userId, new Date(now.getTime() - this.config.sessionMaxAgeMs), now],
      );
    return {
      items: rows.map((r) => ({
        id: r.id,
        createdAt: r.created_at.toISOString(),
        lastUsedAt: r.last_used_at?.toISOString() ?? null,
        userAgent: r.user_agent,
        ip: r.ip,
        current: r.id === principal.sessionId,
      })),
      nextCursor: null,
    };
  }

  /** Ends one of the caller's own sessions; anyone else's (or an ended one) is 404. */
  async endSession(principal: Principal, sessionId: string): Promise<void> {
    const ended = await queryRows(
      this.db.manager,
      `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'ended_by_user'
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`,
      [sessionId, principal.userId],
    );
    if (ended.length === 0) throw new AppError('not_found', 'The session was not found');
  }

  /** Changes the caller's password; every other session of theirs ends, the current one stays. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.id = :id', { id: principal.userId })
      .getOneOrFail();
    if (!(await this.hasher.verify(user.passwordHash, currentPassword))) {
      await this.audit.record({
        action: 'auth.password_change_failed',
        resourceType: 'user',
        resourceId: user.id,
        outcome: 'denied',
      });
      throw new AppError('current_password_incorrect');
    }
    const passwordHash = await this.hasher.hash(newPassword);
    await this.db.transaction(async (tx) => {
      await tx.update(UserEntity, { id: user.id }, { passwordHash });
      await this.endSessions(tx, { userId: user.id, except: principal.sessionId }, 'password_changed');
      // A reset link asked for before the change must not undo it.
      await tx.query(`UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [user.id]);
      await this.audit.record({ action: 'auth.password_changed', resourceType: 'user', resourceId: user.id }, tx);
    });
  }

  /**
   * Starts a password reset for an active account with this email: a reset row and its outbox
   * event (the worker emails the link) in one statement. Unknown, invited-only and deactivated
   * addresses write nothing; the caller answers the same either way.
   */
  async requestPasswordReset(email: string): Promise<void> {
    const resetId = randomUUID();
    const token = passwordResetToken(this.config.jwt.secret, resetId);
    const params = new SqlParams();
    const expiresAt = new Date(this.clock.now().getTime() + PASSWORD_RESET_TTL_MS);
    await this.db.query(
      `WITH target AS (
         SELECT id FROM users
          WHERE lower(email) = lower(${params.add(email, 'text')}) AND deactivated_at IS NULL AND activated_at IS NOT NULL
       ), reset AS (
         INSERT INTO password_resets (id, user_id, token_hash, expires_at)
         SELECT ${params.add(resetId, 'uuid')}, id, ${params.add(sha256(token), 'text')}, ${params.add(expiresAt, 'timestamptz')} FROM target
         RETURNING id
       )
       ${outboxInsertSql(
         'reset',
         { referralIdColumn: 'NULL::uuid', referralEventIdColumn: 'NULL::uuid' },
         { type: PASSWORD_RESET_REQUESTED_EVENT, payload: { passwordResetId: resetId } },
         params,
       )}`,
      params.values,
    );
  }

  /**
   * Sets a new password with a reset token and signs in. The token works once, for an hour; every
   * other open reset of the account is used up too, and every other session ends.
   */
  async confirmPasswordReset(token: string, password: string): Promise<SignedIn> {
    const passwordHash = await this.hasher.hash(password);
    return this.db.transaction(async (tx) => {
      const [reset]: { id: string; user_id: string; expires_at: Date; used_at: Date | null }[] = await tx.query(
        `SELECT r.id, r.user_id, r.expires_at, r.used_at FROM password_resets r WHERE r.token_hash = $1 FOR UPDATE`,
        [sha256(token)],
      );
      if (!reset || reset.used_at || reset.expires_at.getTime() <= this.clock.now().getTime()) {
        throw new AppError('reset_token_invalid');
      }
      const user = await tx.findOneByOrFail(UserEntity, { id: reset.user_id });
      if (user.deactivatedAt) throw new AppError('reset_token_invalid');
      await tx.query(`UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [user.id]);
      await tx.update(UserEntity, { id: user.id }, { passwordHash });
      await this.endSessions(tx, { userId: user.id }, 'password_reset');
      await this.audit.record(
        { action: 'auth.password_reset', resourceType: 'user', resourceId: user.id, actorId: user.id, clinicId: user.clinicId },
        tx,
      );
      const tokens = await this.startSession(tx, user);
      return { user: this.selfView(user), ...tokens };
    });
  }

  async acceptInvitation(token: string, password: string): Promise<SignedIn> {
    const passwordHash = await this.hasher.hash(password);
    return this.db.transaction(async (tx) => {
      const invitation = await tx
        .getRepository(InvitationEntity)
        .createQueryBuilder('i')
        .setLock('pessimistic_write')
        .where('i.token_hash = :hash', { hash: sha256(token) })
        .getOne();
      if (
        !invitation?.userId ||
        invitation.acceptedAt ||
        invitation.revokedAt ||
        invitation.expiresAt.getTime() <= this.clock.now().getTime()
      ) {
        throw new AppError('invitation_invalid');
      }
      const invited = await tx.findOneByOrFail(UserEntity, { id: invitation.userId });
      if (invited.deactivatedAt) throw new AppError('invitation_invalid');
      const now = this.clock.now();
      await tx.update(InvitationEntity, { id: invitation.id }, { acceptedAt: now });
      await tx.update(UserEntity, { id: invitation.userId }, { passwordHash, activatedAt: now });
      const user = await tx.findOneByOrFail(UserEntity, { id: invitation.userId });
      const tokens = await this.startSession(tx, user);
      return { user: this.selfView(user), ...tokens };
    });
  }

  /**
   * Verifies an access token and that its session is still live (logout, reuse revocation,
   * deactivation and the session's maximum age take effect at once, not at token expiry).
   * One primary-key query.
   */
  async authenticate(accessToken: string): Promise<Principal> {
    const claims = verifyAccessToken(accessToken, this.accessTokenCheck) as Partial<AccessClaims> | undefined;
    if (!claims || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') {
      throw unauthenticated('The access token is missing, invalid or expired');
    }
    // Every authenticated request runs it: prepared once per connection.
    const rows = await queryRows<{ clinic_id: string; role: Role; is_admin: boolean }>(
      this.db.manager,
      `SELECT u.clinic_id, u.role, u.is_admin FROM auth_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.created_at > $3 AND u.deactivated_at IS NULL`,
      [claims.sid, claims.sub, new Date(this.clock.now().getTime() - this.config.sessionMaxAgeMs)],
      { prepare: true },
    );
    if (rows.length === 0) throw unauthenticated('The session has ended');
    // Role and admin rights are read per request: granting or removing them takes effect at once.
    const [row] = rows;
    return { userId: claims.sub, clinicId: row.clinic_id, role: row.role, isAdmin: row.is_admin, sessionId: claims.sid };
  }

  /** A new session for `user`, started now from the request's client (address, user agent). */
  private async startSession(tx: EntityManager, user: UserEntity): Promise<TokenPair> {
    const now = this.clock.now();
    const client = RequestContext.current();
    const [session]: { id: string }[] = await tx.query(
      `INSERT INTO auth_sessions (user_id, created_at, last_used_at, ip, user_agent) VALUES ($1, $2, $2, $3, $4) RETURNING id`,
      [user.id, now, client?.ip ?? null, client?.userAgent ?? null],
    );
    return this.issueTokens(tx, user, session.id, this.sessionEnd(now));
  }

  /** When a session started at `createdAt` ends, however often it is refreshed. */
  private sessionEnd(createdAt: Date): Date {
    return new Date(createdAt.getTime() + this.config.sessionMaxAgeMs);
  }

  /** Revokes one session, every session of a user, or every one but `except`. */
  private async endSessions(
    manager: EntityManager,
    which: { sessionId: string } | { userId: string; except?: string },
    reason: SessionEndReason,
  ): Promise<void> {
    if ('sessionId' in which) {
      await manager.query(
        `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
        [which.sessionId, reason],
      );
      return;
    }
    await manager.query(
      `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2
        WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
      [which.userId, reason, which.except ?? null],
    );
  }

  /** A refresh token (expiring at its TTL, never after the session's end) and an access token. */
  private async issueTokens(tx: EntityManager, user: UserEntity, sessionId: string, sessionEndsAt: Date): Promise<TokenPair> {
    const { token: secret, hash } = newSecretToken();
    const ttlEnd = this.clock.now().getTime() + this.config.jwt.refreshTtlSeconds * 1000;
    const expiresAt = new Date(Math.min(ttlEnd, sessionEndsAt.getTime()));
    const [row]: { id: string }[] = await tx.query(
      `INSERT INTO refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, $2, $3) RETURNING id`,
      [sessionId, hash, expiresAt],
    );
    const claims: AccessClaims = { sub: user.id, cid: user.clinicId, role: user.role, sid: sessionId };
    const accessToken = await this.jwt.signAsync(claims, {
      secret: this.jwtKey as unknown as string,
      algorithm: 'HS256',
      expiresIn: this.config.jwt.accessTtlSeconds,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    return { accessToken, refreshToken: `${row.id}.${secret}`, expiresIn: this.config.jwt.accessTtlSeconds };
  }

  private selfView(user: UserEntity): UserView {
    return userView(user, { now: this.clock.now(), withEmail: true });
  }
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
