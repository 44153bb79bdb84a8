import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentityModule } from '@referloop/identity';
import { PatientsModule } from '@referloop/patients';
import { AttachmentsService } from './attachments.service';
import { DraftsService } from './drafts/drafts.service';
import { FollowUpService } from './follow-up.service';
import { REFERRAL_ENTITIES } from './entities';
import { IdempotencyStore } from './idempotency';
import { ReferralLettersService } from './letters/referral-letters.service';
import { ReferralMessagesService } from './referral-messages.service';
import { ReferralTimers } from './referral-timers';
import { ReferralsService } from './referrals.service';
import { ReferralActivityStore } from './store/activity-store';
import { ReferralStore } from './store/referral-store';
import { ReferralTimerStore } from './store/timer-store';

@Module({
  imports: [TypeOrmModule.forFeature(REFERRAL_ENTITIES), IdentityModule, PatientsModule],
  providers: [
    ReferralStore,
    ReferralActivityStore,
    ReferralTimerStore,
    ReferralsService,
    ReferralMessagesService,
    FollowUpService,
    AttachmentsService,
    IdempotencyStore,
    ReferralTimers,
    ReferralLettersService,
    DraftsService,
  ],
  exports: [
    ReferralStore,
    ReferralsService,
    ReferralMessagesService,
    FollowUpService,
    AttachmentsService,
    IdempotencyStore,
    ReferralTimers,
    ReferralLettersService,
    DraftsService,
  ],
})
export class ReferralsModule {}
