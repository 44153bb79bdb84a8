import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentityModule } from '@referloop/identity';
import { PatientsModule } from '@referloop/patients';
import { AttachmentsService } from './attachments.service';
import { FollowUpService } from './follow-up.service';
import { REFERRAL_ENTITIES } from './entities';
import { IdempotencyStore } from './idempotency';
import { ReferralTimers } from './referral-timers';
import { ReferralsService } from './referrals.service';

@Module({
  imports: [TypeOrmModule.forFeature(REFERRAL_ENTITIES), IdentityModule, PatientsModule],
  providers: [ReferralsService, FollowUpService, AttachmentsService, IdempotencyStore, ReferralTimers],
  exports: [ReferralsService, FollowUpService, AttachmentsService, IdempotencyStore, ReferralTimers],
})
export class ReferralsModule {}
