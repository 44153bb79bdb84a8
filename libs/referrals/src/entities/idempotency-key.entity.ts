import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** The stored answer to a POST made with an Idempotency-Key, scoped to the user. */
@Index('idempotency_keys_created_idx', ['createdAt'])
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @ForeignKey('users', { name: 'idempotency_keys_user_id_fkey' })
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ name: 'request_hash', type: 'text' })
  requestHash: string;

  @Column({ name: 'response_status', type: 'integer' })
  responseStatus: number;

  @Column({ name: 'response_body', type: 'json' })
  responseBody: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
