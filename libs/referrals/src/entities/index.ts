export * from './referral.entity';
export * from './referral-event.entity';
export * from './attachment.entity';
export * from './idempotency-key.entity';
export * from './referral-invite.entity';
export * from './referral-read.entity';
export * from './referral-progress.entity';

import { AttachmentEntity } from './attachment.entity';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { ReferralEventEntity } from './referral-event.entity';
import { ReferralReadEntity } from './referral-read.entity';
import { ReferralProgressEntity } from './referral-progress.entity';
import { ReferralEntity } from './referral.entity';
import { ReferralInviteEntity } from './referral-invite.entity';

export const REFERRAL_ENTITIES = [
  ReferralEntity,
  ReferralEventEntity,
  AttachmentEntity,
  IdempotencyKeyEntity,
  ReferralInviteEntity,
  ReferralReadEntity,
  ReferralProgressEntity,
];
