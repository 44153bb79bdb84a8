import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentityModule } from '@referloop/identity';
import { PatientsModule } from '@referloop/patients';
import { AttachmentsService } from './attachments.service';
import { DraftStore } from './drafts/draft-store';
import { DraftsService } from './drafts/drafts.service';
import { FollowUpService } from './follow-up.service';
import { REFERRAL_ENTITIES } from './entities';
import { IdempotencyStore } from './idempotency';
import { ReferralLettersService } from './letters/referral-letters.service';
import { ReferralMessagesService } from './referral-messages.service';
import { ReferralTimers } from './referral-timers';
import { ReferralsService } from './referrals.service';

@Module({
  imports: [TypeOrmModule.forFeature(REFERRAL_ENTITIES), IdentityModule, PatientsModule],
  providers: [
    ReferralsService,
    ReferralMessagesService,
    FollowUpService,
    AttachmentsService,
    IdempotencyStore,
    ReferralTimers,
    ReferralLettersService,
    DraftStore,
    DraftsService,
  ],
  exports: [
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
