import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

export type SessionEndReason =
  'logout' | 'logout_all' | 'ended_by_user' | 'refresh_token_reuse' | 'password_changed' | 'password_reset' | 'deactivated';

/**
 * One sign-in: the family of rotating refresh tokens. Revoking it ends every token of the family.
 * It lives at most SESSION_MAX_AGE from `createdAt`, however often it is refreshed.
 */
@Index('auth_sessions_user_idx', { synchronize: false })
@Entity({ name: 'auth_sessions' })
export class AuthSessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('users', { name: 'auth_sessions_user_id_fkey' })
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Sign-in and each refresh. */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  /** The client's address as seen through TRUST_PROXY, at sign-in and each refresh. */
  @Column({ type: 'text', nullable: true })
  ip: string | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason: SessionEndReason | null;
}
