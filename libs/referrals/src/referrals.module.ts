import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentityModule } from '@referloop/identity';
import { AttachmentsService } from './attachments.service';
import { REFERRAL_ENTITIES } from './entities';
import { IdempotencyStore } from './idempotency';
import { ReferralMessagesService } from './referral-messages.service';
import { ReferralTimers } from './referral-timers';
import { ReferralsService } from './referrals.service';

@Module({
  imports: [TypeOrmModule.forFeature(REFERRAL_ENTITIES), IdentityModule],
  providers: [ReferralsService, ReferralMessagesService, AttachmentsService, IdempotencyStore, ReferralTimers],
  exports: [ReferralsService, ReferralMessagesService, AttachmentsService, IdempotencyStore, ReferralTimers],
})
export class ReferralsModule {}
