import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentityModule } from '@referloop/identity';
import { AttachmentsService } from './attachments.service';
import { REFERRAL_ENTITIES } from './entities';
import { IdempotencyStore } from './idempotency';
import { ReferralsService } from './referrals.service';

@Module({
  imports: [TypeOrmModule.forFeature(REFERRAL_ENTITIES), IdentityModule],
  providers: [ReferralsService, AttachmentsService, IdempotencyStore],
  exports: [ReferralsService, AttachmentsService, IdempotencyStore],
})
export class ReferralsModule {}
