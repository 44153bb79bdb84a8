import { createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, Clock, type Principal, type Role } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { isUniqueViolation, queryRows } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';
import { ClinicEntity } from '../entities/clinic.entity';
import { InvitationEntity } from '../entities/invitation.entity';
import { UserEntity } from '../entities/user.entity';
import type { RegisterClinicInput } from '../inputs';
import { type ClinicView, clinicView, type UserView, userView } from '../views';
import { type AccessTokenCheck, verifyAccessToken } from './access-token';
import { PasswordHasher } from './password-hasher';
import { newSecretToken, sha256 } from './secret-token';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Lifetime of the access token in seconds. */
  expiresIn: number;
}

export interface SignedIn extends TokenPair {
  user: UserView;
}

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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.jwtKey = createSecretKey(Buffer.from(config.jwt.secret));
    this.accessTokenCheck = { key: this.jwtKey, issuer: ISSUER, audience: AUDIENCE };
  }

  async registerClinic(input: RegisterClinicInput): Promise<SignedIn & { clinic: ClinicView }> {
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
        const user = await tx.save(
          tx.create(UserEntity, {
            clinicId: clinic.id,
            email: input.admin.email,
            passwordHash,
            fullName: input.admin.fullName,
            role: 'clinic_admin',
            activatedAt: this.clock.now(),
          }),
        );
        const tokens = await this.startSession(tx, user);
        return { clinic: clinicView(clinic), user: this.selfView(user), ...tokens };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_lower_key')) throw new AppError('email_taken');
      throw error;
    }
  }

  async login(email: string, password: string): Promise<SignedIn> {
    const user = await this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
    const valid = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !valid) throw unauthenticated('The email or password is not correct');
    const tokens = await this.db.transaction((tx) => this.startSession(tx, user));
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
      }[] = await tx.query(
        `SELECT t.session_id, t.token_hash, t.expires_at, t.used_at, s.revoked_at, s.user_id
             FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id
            WHERE t.id = $1
            FOR UPDATE OF t, s`,
        [tokenId],
      );
      const row = rows[0];
      if (!row || !sameHash(row.token_hash, sha256(secret)) || row.revoked_at) return { error: unauthenticated() };
      if (row.used_at) {
        await tx.query(`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'refresh_token_reuse' WHERE id = $1`, [
          row.session_id,
        ]);
        return { error: unauthenticated('This refresh token was already used; the session has been revoked') };
      }
      if (row.expires_at.getTime() <= this.clock.now().getTime())
        return { error: unauthenticated('The refresh token has expired') };
      await tx.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [tokenId]);
      const user = await tx.findOneByOrFail(UserEntity, { id: row.user_id });
      const tokens = await this.issueTokens(tx, user, row.session_id);
      return { signedIn: { user: this.selfView(user), ...tokens } };
    });
    // Thrown after the commit, so a reuse revocation is kept.
    if ('error' in outcome) throw outcome.error;
    return outcome.signedIn;
  }

  /** Ends the caller's current session (all of its refresh tokens). */
  async logout(principal: Principal): Promise<void> {
    await this.db.query(
      `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE id = $1 AND revoked_at IS NULL`,
      [principal.sessionId],
    );
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
      if (!invitation || invitation.acceptedAt || invitation.expiresAt.getTime() <= this.clock.now().getTime()) {
        throw new AppError('invitation_invalid');
      }
      const now = this.clock.now();
      await tx.update(InvitationEntity, { id: invitation.id }, { acceptedAt: now });
      await tx.update(UserEntity, { id: invitation.userId }, { passwordHash, activatedAt: now });
      const user = await tx.findOneByOrFail(UserEntity, { id: invitation.userId });
      const tokens = await this.startSession(tx, user);
      return { user: this.selfView(user), ...tokens };
    });
  }

  /**
   * Verifies an access token and that its session is still live (logout and reuse
   * revocation take effect at once, not at token expiry). One primary-key query.
   */
  async authenticate(accessToken: string): Promise<Principal> {
    const claims = verifyAccessToken(accessToken, this.accessTokenCheck) as Partial<AccessClaims> | undefined;
    if (!claims || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') {
      throw unauthenticated('The access token is missing, invalid or expired');
    }
    // Every authenticated request runs it: prepared once per connection.
    const rows = await queryRows<{ clinic_id: string; role: Role }>(
      this.db.manager,
      `SELECT u.clinic_id, u.role FROM auth_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL`,
      [claims.sid, claims.sub],
      { prepare: true },
    );
    if (rows.length === 0) throw unauthenticated('The session has ended');
    return { userId: claims.sub, clinicId: rows[0].clinic_id, role: rows[0].role, sessionId: claims.sid };
  }

  private async startSession(tx: EntityManager, user: UserEntity): Promise<TokenPair> {
    const [session]: { id: string }[] = await tx.query(`INSERT INTO auth_sessions (user_id) VALUES ($1) RETURNING id`, [user.id]);
    return this.issueTokens(tx, user, session.id);
  }

  private async issueTokens(tx: EntityManager, user: UserEntity, sessionId: string): Promise<TokenPair> {
    const { token: secret, hash } = newSecretToken();
    const expiresAt = new Date(this.clock.now().getTime() + this.config.jwt.refreshTtlSeconds * 1000);
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
