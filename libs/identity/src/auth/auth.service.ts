import { createSecretKey, type KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  AppError,
  Clock,
  DEFAULT_PAGE_SIZE,
  decodeTimestampKeyset,
  isUuid,
  type Page,
  type Principal,
  type RequestClient,
  type Role,
  toPage,
} from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import type { SessionEndReason } from '../entities/auth-session.entity';
import { emailTaken } from '../identity.errors';
import type { RegisterClinicInput } from '../inputs';
import { ClinicsStore } from '../store/clinics.store';
import { type InvitationRow, InvitationsStore } from '../store/invitations.store';
import { type RefreshTokenRow, type ResetRow, type SessionSelection, SessionsStore } from '../store/sessions.store';
import { type UserRow, UsersStore } from '../store/users.store';
import { ClinicScope } from '../tenancy/clinic-scope';
import { type ClinicView, clinicView, type UserView, userView } from '../views';
import { signToken, TokenVerifier } from './access-token';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { derivedKey, newSecretToken, passwordResetToken, retriableRefreshSecret, sha256 } from './secret-token';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Lifetime of the access token in seconds: never past the session's end. */
  expiresIn: number;
  /**
   * When the refresh token expires (its TTL, never after the session's end): how long the web
   * app's cookies may live. Not part of any answer's body.
   */
  refreshExpiresAt: Date;
}

/** Who registered a clinic by joining through a referral invite, as the invite's check needs them. */
export interface JoiningUser {
  id: string;
  clinicId: string;
  role: Role;
  /** YYYY-MM-DD; null for a clinic_admin. */
  licenceExpiresOn: string | null;
  /** Their new clinic's IANA zone: the calendar the licence expires on. */
  clinicTimezone: string;
}

export interface SignedIn extends TokenPair {
  user: UserView;
}

/**
 * How long after a rotation a retry of it (the rotated token with the `Idempotency-Key` that rotated
 * it) is still taken for a lost answer: a reload mid-refresh, or the web app's retry after a dropped
 * connection (15 s later).
 */
export const REFRESH_RETRY_WINDOW_MS = 5 * 60_000;

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
/** Reset emails an account gets per link lifetime, at most: more would flood its inbox for whoever types the address. */
export const PASSWORD_RESETS_PER_TTL = 3;

/** An access token's claims; its times are the Clock's, in seconds, like every JWT's. */
type AccessClaims = {
  sub: string;
  cid: string;
  role: Role;
  sid: string;
  iat: number;
  exp: number;
  aud: string;
  iss: string;
};

const ISSUER = 'referloop';
const AUDIENCE = 'referloop-api';
/** The audience of a stream token: it opens `GET /events` and nothing else. */
const STREAM_AUDIENCE = 'referloop-events';
const unauthenticated = (detail = 'The credentials are not valid', extensions?: Record<string, unknown>) =>
  new AppError('unauthenticated', detail, extensions);
/** The right password, or a live refresh token, of a deactivated account: told why, so nobody chases a password problem. */
const deactivatedAccount = () =>
  unauthenticated('This account has been deactivated: an admin of your clinic can reactivate it', { reason: 'deactivated' });
/** A reset or invitation link that opens nothing (unknown, used, expired): a 400 naming the `token` field. */
const deadLink = () => AppError.validation([{ field: 'token', message: 'is invalid, already used or expired' }]);

/** An invitation's link works until it is accepted, revoked or expired, and while its invitee is not deactivated. */
function invitationLinkWorks(invitation: InvitationRow, invited: UserRow, now: Date): boolean {
  return (
    !invitation.acceptedAt && !invitation.revokedAt && invitation.expiresAt.getTime() > now.getTime() && !invited.deactivatedAt
  );
}

/** A reset link works once, until it expires, for an account that is not deactivated. */
function resetLinkWorks(reset: ResetRow, user: UserRow, now: Date): boolean {
  return !reset.used_at && reset.expires_at.getTime() > now.getTime() && !user.deactivatedAt;
}
/** A password change with a wrong current password: 403, naming the field. */
const wrongCurrentPassword = () =>
  new AppError('forbidden', 'The current password is not correct', {
    errors: [{ field: 'currentPassword', message: 'is not your current password' }],
  });

@Injectable()
export class AuthService {
  /** The access tokens' HS256 key, as a KeyObject made once. */
  private readonly jwtKey: KeyObject;
  private readonly accessTokens: TokenVerifier;
  /** Stream tokens are signed with their own derived key, so none can pass as an access token (nor the reverse). */
  private readonly streamTokens: TokenVerifier;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersStore,
    private readonly clinics: ClinicsStore,
    private readonly sessionsStore: SessionsStore,
    private readonly invitations: InvitationsStore,
    private readonly passwords: PasswordPolicy,
  ) {
    this.jwtKey = createSecretKey(Buffer.from(config.jwt.secret));
    this.accessTokens = new TokenVerifier({ key: this.jwtKey, issuer: ISSUER, audience: AUDIENCE });
    this.streamTokens = new TokenVerifier({
      key: createSecretKey(derivedKey(config.jwt.secret, 'stream token v1')),
      issuer: ISSUER,
      audience: STREAM_AUDIENCE,
    });
  }

  /**
   * `joined` runs in the same transaction once the admin exists (joining through a referral
   * invite): when it throws, nothing is registered.
   */
  async registerClinic(
    client: RequestClient,
    input: RegisterClinicInput,
    joined?: (tx: EntityManager, user: JoiningUser) => Promise<void>,
  ): Promise<SignedIn & { clinic: ClinicView }> {
    this.passwords.check('admin.password', input.admin.password, input.admin.email);
    const passwordHash = await this.hasher.hash(input.admin.password);
    return this.db.transaction(async (tx) => {
      const now = this.clock.now();
      const clinic = await this.clinics.insert(
        tx,
        {
          name: input.clinic.name,
          addressLine1: input.clinic.address.line1,
          addressCity: input.clinic.address.city,
          addressRegion: input.clinic.address.region,
          addressPostalCode: input.clinic.address.postalCode,
          addressCountry: input.clinic.address.country,
          phone: input.clinic.phone,
          timezone: input.clinic.timezone,
        },
        now,
      );
      // A solo practitioner is admin and practitioner in one account; otherwise a clinic_admin.
      const practitioner = input.admin.practitioner;
      const user = await this.users.insertIfEmailFree(
        tx,
        {
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
          activatedAt: now,
        },
        now,
      );
      if (!user) throw emailTaken('admin.email', 'sign-up');
      await joined?.(tx, {
        id: user.id,
        clinicId: clinic.id,
        role: user.role,
        licenceExpiresOn: user.licenceExpiresOn,
        clinicTimezone: user.clinicTimezone,
      });
      const tokens = await this.startSession(tx, user, client);
      return { clinic: clinicView(clinic), user: this.selfView(user), ...tokens };
    });
  }

  /**
   * Signs in. A wrong email or password gets one answer whichever it was; the right password of a
   * deactivated account is told why (`reason: 'deactivated'`). Success and failure are audited (with
   * the account when the email is known, never the password).
   */
  async login(client: RequestClient, email: string, password: string): Promise<SignedIn> {
    const user = await this.users.accountByEmail(email);
    const valid = await this.hasher.verify(user?.passwordHash, password);
    const outcome: TokenPair | 'refused' | 'deactivated' =
      !user || !valid ? 'refused' : user.deactivatedAt ? 'deactivated' : await this.startCheckedSession(user, client);
    if (!user || typeof outcome === 'string') {
      await this.audit.record({
        by: client,
        action: 'auth.login_failed',
        resourceType: 'user',
        resourceId: user?.id ?? null,
        outcome: 'denied',
        actorId: null,
        clinicId: user?.clinicId ?? null,
        details: { emailSha256: sha256(email.trim().toLowerCase()), ...(outcome === 'deactivated' && { reason: 'deactivated' }) },
      });
      // Told only to someone who knows the password: otherwise they would chase a password problem there is none of.
      if (outcome === 'deactivated') throw deactivatedAccount();
      throw unauthenticated('The email or password is not correct');
    }
    return { user: this.selfView(user), ...outcome };
  }

  /**
   * The sign-in's session, after reading again under a share lock what was checked outside any lock
   * (hashing is slow): the password is still the one checked, and the account still active.
   */
  private startCheckedSession(
    user: UserRow & { passwordHash: string | null },
    client: RequestClient,
  ): Promise<TokenPair | 'refused' | 'deactivated'> {
    return this.db.transaction(async (tx) => {
      const current = await this.users.lockForSignIn(tx, user.id);
      if (current?.passwordHash !== user.passwordHash) return 'refused';
      if (!current.active) return 'deactivated';
      const started = await this.startSession(tx, user, client);
      await this.audit.record(
        {
          by: client,
          action: 'auth.login',
          resourceType: 'user',
          resourceId: user.id,
          actorId: user.id,
          clinicId: user.clinicId,
        },
        tx,
      );
      return started;
    });
  }

  /**
   * Rotates a refresh token. Presenting a token that was already rotated is reuse: the whole
   * session (token family) is revoked, so a stolen token stops working for both parties.
   *
   * With `retryKey` (the request's `Idempotency-Key`), the rotation records it, and the same token
   * presented again with the same key, within REFRESH_RETRY_WINDOW_MS and while the token that
   * rotation issued is still unused, is the retry of a refresh whose answer was lost: it is answered
   * that same refresh token again (its secret is derived from its id and the key), with an access
   * token. The session's lock (taken with the token's) makes every refresh of one session take
   * turns, and whether that token was used is read once the lock is held, so a retry and a use of
   * it cannot both win.
   */
  async refresh(client: RequestClient, refreshToken: string, retryKey?: string): Promise<SignedIn> {
    const [tokenId, secret] = refreshToken.split('.');
    if (!tokenId || !secret || !isUuid(tokenId)) throw unauthenticated();
    const retryKeyHash = retryKey === undefined ? null : sha256(retryKey);
    const outcome = await this.db.transaction(async (tx): Promise<{ error: AppError } | { signedIn: SignedIn }> => {
      const row = await this.sessionsStore.lockRefreshToken(tx, tokenId);
      if (!row || !sameHash(row.token_hash, sha256(secret))) return { error: unauthenticated() };
      // The holder of the session's token is told when it ended because the account was deactivated.
      if (row.revoked_at) return { error: row.revoked_reason === 'deactivated' ? deactivatedAccount() : unauthenticated() };
      const now = this.clock.now();
      const retried = lostAnswerRetried(row, retryKeyHash, now);
      // Read once the session's lock is held, so a use of that token committed meanwhile counts.
      const lostAnswer = retried && !(await this.sessionsStore.wasUsed(tx, retried.tokenId)) ? retried : null;
      if (row.used_at && !lostAnswer) {
        await this.endSessions(tx, { sessionId: row.session_id }, 'refresh_token_reuse');
        return { error: unauthenticated('This refresh token was already used; the session has been revoked') };
      }
      if (row.expires_at.getTime() <= now.getTime()) return { error: unauthenticated('The refresh token has expired') };
      const endsAt = this.sessionEnd(row.session_created_at);
      if (endsAt.getTime() <= now.getTime())
        return { error: unauthenticated('The session has reached its maximum age; sign in again') };
      const user = await this.users.account(row.user_id, tx);
      if (!user) return { error: unauthenticated() };
      if (user.deactivatedAt) return { error: deactivatedAccount() };
      if (lostAnswer) {
        const secret = retriableRefreshSecret(this.config.jwt.secret, lostAnswer.tokenId, lostAnswer.retryKeyHash);
        // That token was issued at the rotation, and expires as issueTokens set it then.
        const ttlEnd = row.used_at!.getTime() + this.config.jwt.refreshTtlSeconds * 1000;
        const pair = this.tokenPair(user, row.session_id, lostAnswer.tokenId, secret, {
          sessionEndsAt: endsAt,
          refreshExpiresAt: new Date(Math.min(ttlEnd, endsAt.getTime())),
        });
        return { signedIn: { user: this.selfView(user), ...pair } };
      }
      const { pair, refreshTokenId } = await this.issueTokens(tx, user, row.session_id, endsAt, retryKeyHash);
      await this.sessionsStore.rotated(tx, tokenId, { now, client, retryKeyHash, successorId: refreshTokenId });
      return { signedIn: { user: this.selfView(user), ...pair } };
    });
    // Thrown after the commit, so a reuse revocation is kept.
    if ('error' in outcome) throw outcome.error;
    return outcome.signedIn;
  }

  /** Ends the caller's current session (all of its refresh tokens). */
  async logout(principal: Principal): Promise<void> {
    await this.endSessions(this.db.manager, { sessionId: principal.sessionId }, 'logout');
  }

  /** Ends every session of the caller, the current one included; audited with how many ended. */
  async logoutAll(principal: Principal): Promise<void> {
    await this.db.transaction(async (tx) => {
      const sessions = await this.endSessions(tx, { userId: principal.userId }, 'logout_all');
      await this.audit.record(
        { by: principal, action: 'auth.logout_all', resourceType: 'user', resourceId: principal.userId, details: { sessions } },
        tx,
      );
    });
  }

  /**
   * The caller's live sessions (not revoked, within their maximum age, with a usable refresh token),
   * most recently used first, keyset-paged like every list.
   */
  async sessions(principal: Principal, query: { cursor?: string; limit?: number }): Promise<Page<SessionView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = decodeTimestampKeyset(query.cursor, 'sessions');
    const now = this.clock.now();
    const rows = await this.sessionsStore.live(
      ClinicScope.of(principal),
      { startedAfter: new Date(now.getTime() - this.config.sessionMaxAgeMs), now },
      { after, limit: limit + 1 },
    );
    return toPage(
      rows,
      limit,
      (r) => ({
        id: r.id,
        createdAt: r.created_at.toISOString(),
        lastUsedAt: r.last_used_at?.toISOString() ?? null,
        userAgent: r.user_agent,
        ip: r.ip,
        current: r.id === principal.sessionId,
      }),
      (r) => [r.cursor_ts, r.id],
      'sessions',
    );
  }

  /** Ends one of the caller's own sessions; anyone else's (or an ended one) is 404. */
  async endSession(principal: Principal, sessionId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await this.sessionsStore.endOwn(tx, ClinicScope.of(principal), sessionId, this.clock.now()))) {
        throw new AppError('not_found', 'The session was not found');
      }
      await this.audit.record(
        {
          by: principal,
          action: 'auth.session_ended',
          resourceType: 'user',
          resourceId: principal.userId,
          details: { sessionId },
        },
        tx,
      );
    });
  }

  /** Changes the caller's password; every other session of theirs ends, the current one stays. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const own = await this.users.ownCredentials(ClinicScope.of(principal));
    const user = { id: principal.userId, passwordHash: own?.passwordHash ?? null };
    if (!(await this.hasher.verify(user.passwordHash, currentPassword))) {
      await this.audit.record({
        by: principal,
        action: 'auth.password_change_failed',
        resourceType: 'user',
        resourceId: user.id,
        outcome: 'denied',
      });
      throw wrongCurrentPassword();
    }
    this.passwords.check('newPassword', newPassword, own?.email);
    const passwordHash = await this.hasher.hash(newPassword);
    await this.db.transaction(async (tx) => {
      const now = this.clock.now();
      // Only over the password just checked: of two changes at once, the second finds it changed.
      if (!(await this.users.replacePassword(tx, user.id, user.passwordHash, passwordHash, now))) {
        throw wrongCurrentPassword();
      }
      await this.endSessions(tx, { userId: user.id, except: principal.sessionId }, 'password_changed');
      // A reset link asked for before the change must not undo it.
      await this.sessionsStore.useResets(tx, user.id, now);
      await this.audit.record({ by: principal, action: 'auth.password_changed', resourceType: 'user', resourceId: user.id }, tx);
    });
  }

  /**
   * Starts a password reset for an active account with this email: a reset row and its outbox
   * event (the worker emails the link), its earlier links dead. Unknown, invited-only and
   * deactivated addresses write nothing, nor does an account that had PASSWORD_RESETS_PER_TTL
   * resets within the last PASSWORD_RESET_TTL_MS (its newest link still works); the caller answers
   * the same either way.
   */
  async requestPasswordReset(client: RequestClient, email: string): Promise<void> {
    const resetId = randomUUID();
    const token = passwordResetToken(this.config.jwt.secret, resetId);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + PASSWORD_RESET_TTL_MS);
    // Audited whether or not the address is an account's: the trail shows floods of requests, and
    // both answers write and commit alike (an address that is an account's took measurably longer).
    await this.db.transaction(async (tx) => {
      const account = await this.sessionsStore.requestReset(
        tx,
        { id: resetId, email, tokenHash: sha256(token), now, expiresAt, eventType: PASSWORD_RESET_REQUESTED_EVENT },
        { windowStart: new Date(now.getTime() - PASSWORD_RESET_TTL_MS), perWindow: PASSWORD_RESETS_PER_TTL },
      );
      await this.audit.record(
        {
          by: client,
          action: 'auth.password_reset_requested',
          resourceType: 'user',
          resourceId: account?.userId ?? null,
          actorId: null,
          clinicId: account?.clinicId ?? null,
          details: { emailSha256: sha256(email.trim().toLowerCase()), ...(account?.limited && { limited: true }) },
          occurredAt: now,
        },
        tx,
      );
    });
  }

  /** Whether a reset link still works, before anyone types a password into its page (400 naming `token` when not). */
  async checkPasswordResetLink(token: string): Promise<void> {
    const reset = await this.sessionsStore.reset(sha256(token));
    const user = reset ? await this.users.account(reset.user_id) : null;
    if (!reset || !user || !resetLinkWorks(reset, user, this.clock.now())) throw deadLink();
  }

  /**
   * Sets a new password with a reset token and signs in. The token works once, for an hour; every
   * other open reset of the account is used up too, and every other session ends.
   */
  async confirmPasswordReset(client: RequestClient, token: string, password: string): Promise<SignedIn> {
    const passwordHash = await this.hasher.hash(password);
    return this.db.transaction(async (tx) => {
      const reset = await this.sessionsStore.lockReset(tx, sha256(token));
      const now = this.clock.now();
      const user = reset ? await this.users.account(reset.user_id, tx) : null;
      if (!reset || !user || !resetLinkWorks(reset, user, now)) throw deadLink();
      this.passwords.check('password', password, user.email);
      await this.sessionsStore.useResets(tx, user.id, now);
      await this.users.setPassword(tx, user.id, passwordHash, now);
      await this.endSessions(tx, { userId: user.id }, 'password_reset');
      await this.audit.record(
        {
          by: client,
          action: 'auth.password_reset',
          resourceType: 'user',
          resourceId: user.id,
          actorId: user.id,
          clinicId: user.clinicId,
        },
        tx,
      );
      const tokens = await this.startSession(tx, user, client);
      return { user: this.selfView(user), ...tokens };
    });
  }

  /** Who an invitation link invites while it works, for its page to greet them (400 naming `token` when it does not). */
  async invitationLink(token: string): Promise<{ email: string; fullName: string }> {
    const invitation = await this.invitations.byTokenHash(sha256(token));
    const invited = invitation?.userId ? await this.users.account(invitation.userId) : null;
    if (!invitation?.userId || !invited || !invitationLinkWorks(invitation, invited, this.clock.now())) throw deadLink();
    return { email: invitation.email, fullName: invitation.fullName };
  }

  async acceptInvitation(client: RequestClient, token: string, password: string): Promise<SignedIn> {
    const passwordHash = await this.hasher.hash(password);
    return this.db.transaction(async (tx) => {
      const invitation = await this.invitations.lockByTokenHash(tx, sha256(token));
      const invited = invitation?.userId ? await this.users.account(invitation.userId, tx) : null;
      const now = this.clock.now();
      if (!invitation?.userId || !invited || !invitationLinkWorks(invitation, invited, now)) throw deadLink();
      this.passwords.check('password', password, invited.email);
      await this.invitations.markAccepted(tx, invitation.id, now);
      await this.users.setPassword(tx, invitation.userId, passwordHash, now, now);
      const user = (await this.users.account(invitation.userId, tx)) as UserRow;
      const tokens = await this.startSession(tx, user, client);
      return { user: this.selfView(user), ...tokens };
    });
  }

  /**
   * Verifies an access token and that its session is still live (logout, reuse revocation,
   * deactivation and the session's maximum age take effect at once, not at token expiry).
   * One primary-key query.
   */
  async authenticate(accessToken: string, client: RequestClient): Promise<Principal> {
    const claims = sessionClaims(this.accessTokens.verify(accessToken, this.clock.now().getTime()));
    if (!claims) throw unauthenticated('The access token is missing, invalid or expired');
    return this.sessionPrincipal(claims.sub, claims.sid, client);
  }

  /**
   * A stream token for the session of a just-issued access token: the web app's cookie for
   * `GET /events`, as long-lived as the refresh token issued with it (`expiresAt`: never after the
   * session's end; the session's liveness is also checked on every use).
   */
  streamToken(accessToken: string, expiresAt: Date): string {
    const nowMs = this.clock.now().getTime();
    const claims = sessionClaims(this.accessTokens.verify(accessToken, nowMs));
    if (!claims) throw new Error('streamToken needs a valid access token');
    const now = Math.floor(nowMs / 1000);
    return signToken(
      {
        sub: claims.sub,
        sid: claims.sid,
        iss: ISSUER,
        aud: STREAM_AUDIENCE,
        iat: now,
        exp: Math.max(now, Math.floor(expiresAt.getTime() / 1000)),
      },
      this.streamTokens.check.key,
    );
  }

  /** Like `authenticate`, for a stream token (the web app's `GET /events` cookie). */
  async authenticateStream(streamToken: string, client: RequestClient): Promise<Principal> {
    const claims = sessionClaims(this.streamTokens.verify(streamToken, this.clock.now().getTime()));
    if (!claims) throw unauthenticated('The session cookie is invalid or expired');
    return this.sessionPrincipal(claims.sub, claims.sid, client);
  }

  /** The caller of a live session; 401 when it has ended. */
  private async sessionPrincipal(userId: string, sessionId: string, client: RequestClient): Promise<Principal> {
    // Every authenticated request runs it (a prepared statement, one round trip).
    const row = await this.sessionsStore.authenticate(
      sessionId,
      userId,
      new Date(this.clock.now().getTime() - this.config.sessionMaxAgeMs),
    );
    if (!row) throw unauthenticated('The session has ended');
    // Role and admin rights are read per request: granting or removing them takes effect at once.
    return { userId, clinicId: row.clinic_id, role: row.role, isAdmin: row.is_admin, sessionId, client };
  }

  /** A new session for `user`, started now from the request's client (address, user agent). */
  private async startSession(tx: EntityManager, user: UserRow, client: RequestClient): Promise<TokenPair> {
    const now = this.clock.now();
    const sessionId = await this.sessionsStore.start(tx, user.id, now, client);
    return (await this.issueTokens(tx, user, sessionId, this.sessionEnd(now))).pair;
  }

  /** When a session started at `createdAt` ends, however often it is refreshed. */
  private sessionEnd(createdAt: Date): Date {
    return new Date(createdAt.getTime() + this.config.sessionMaxAgeMs);
  }

  /** Revokes one session, every session of a user, or every one but `except`; answers how many were live. */
  private endSessions(manager: EntityManager, which: SessionSelection, reason: SessionEndReason): Promise<number> {
    return this.sessionsStore.end(manager, which, reason, this.clock.now());
  }

  /**
   * A refresh token (expiring at its TTL, never after the session's end) and an access token. The
   * refresh token's secret is random, or derived from its id and `retryKeyHash` when the refresh
   * that issues it carried an `Idempotency-Key`, so a retry can be answered it again.
   */
  private async issueTokens(
    tx: EntityManager,
    user: UserRow,
    sessionId: string,
    sessionEndsAt: Date,
    retryKeyHash: string | null = null,
  ): Promise<{ pair: TokenPair; refreshTokenId: string }> {
    const refreshTokenId = randomUUID();
    const derived = retryKeyHash === null ? null : retriableRefreshSecret(this.config.jwt.secret, refreshTokenId, retryKeyHash);
    const { token: secret, hash } = derived === null ? newSecretToken() : { token: derived, hash: sha256(derived) };
    const ttlEnd = this.clock.now().getTime() + this.config.jwt.refreshTtlSeconds * 1000;
    const expiresAt = new Date(Math.min(ttlEnd, sessionEndsAt.getTime()));
    await this.sessionsStore.addRefreshToken(tx, { id: refreshTokenId, sessionId, tokenHash: hash, expiresAt });
    const pair = this.tokenPair(user, sessionId, refreshTokenId, secret, { sessionEndsAt, refreshExpiresAt: expiresAt });
    return { pair, refreshTokenId };
  }

  /**
   * What a sign-in or a refresh answers: an access token for the session and the refresh token
   * `<id>.<secret>`. The access token lives its TTL, or until the session's end when that comes first.
   */
  private tokenPair(
    user: UserRow,
    sessionId: string,
    refreshTokenId: string,
    secret: string,
    lifetime: { sessionEndsAt: Date; refreshExpiresAt: Date },
  ): TokenPair {
    const now = this.clock.now();
    const expiresIn = accessTokenLifetime(this.config.jwt.accessTtlSeconds, lifetime.sessionEndsAt, now);
    const iat = Math.floor(now.getTime() / 1000);
    const claims: AccessClaims = {
      sub: user.id,
      cid: user.clinicId,
      role: user.role,
      sid: sessionId,
      iat,
      exp: iat + expiresIn,
      aud: AUDIENCE,
      iss: ISSUER,
    };
    const accessToken = signToken(claims, this.jwtKey);
    return { accessToken, refreshToken: `${refreshTokenId}.${secret}`, expiresIn, refreshExpiresAt: lifetime.refreshExpiresAt };
  }

  private selfView(user: UserRow): UserView {
    return userView(user, { now: this.clock.now(), withEmail: true });
  }
}

/** Seconds an access token issued `now` may live: its TTL, cut short by the end of its session (never negative). */
export function accessTokenLifetime(ttlSeconds: number, sessionEndsAt: Date, now: Date): number {
  return Math.max(0, Math.min(ttlSeconds, Math.floor((sessionEndsAt.getTime() - now.getTime()) / 1000)));
}

/**
 * The token of a lost answer, when `row` is a rotated token presented again with the key that
 * rotated it, soon after (the caller then checks that this token is still unused).
 */
function lostAnswerRetried(
  row: RefreshTokenRow,
  retryKeyHash: string | null,
  now: Date,
): { tokenId: string; retryKeyHash: string } | null {
  if (retryKeyHash === null || row.retry_key_hash === null || row.used_at === null || row.successor_id === null) return null;
  const retried = sameHash(row.retry_key_hash, retryKeyHash) && now.getTime() - row.used_at.getTime() < REFRESH_RETRY_WINDOW_MS;
  return retried ? { tokenId: row.successor_id, retryKeyHash } : null;
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The user and session a verified token names, when both are ids: a token signed with our key but
 * naming something else (a key leaked, or tokens of another build) is refused, not sent to a query.
 */
function sessionClaims(claims: Readonly<Record<string, unknown>> | undefined): { sub: string; sid: string } | undefined {
  return claims && isUuid(claims.sub) && isUuid(claims.sid) ? { sub: claims.sub, sid: claims.sid } : undefined;
}
