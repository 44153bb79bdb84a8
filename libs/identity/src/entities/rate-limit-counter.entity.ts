import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A fixed-window rate-limit counter, used when there is no Redis (the embedded default). */
@Entity({ name: 'rate_limit_counters' })
export class RateLimitCounterEntity {
  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ type: 'integer' })
  hits: number;

  @Index('rate_limit_counters_expiry_idx')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
