import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A refresh token; only its SHA-256 is stored. `usedAt` set means rotated: presenting it again is
 * reuse, unless it comes with the `Idempotency-Key` that rotated it (`retryKeyHash`, SHA-256) while
 * the token that rotation issued (`successorId`) is unused: the retry of a refresh whose answer was lost.
 */
@Index('refresh_tokens_session_idx', ['sessionId'])
@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('auth_sessions', { name: 'refresh_tokens_session_id_fkey' })
  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @Column({ name: 'token_hash', type: 'text' })
  tokenHash: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @Column({ name: 'retry_key_hash', type: 'text', nullable: true })
  retryKeyHash: string | null;

  @ForeignKey('refresh_tokens', { name: 'refresh_tokens_successor_id_fkey' })
  @Column({ name: 'successor_id', type: 'uuid', nullable: true })
  successorId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
