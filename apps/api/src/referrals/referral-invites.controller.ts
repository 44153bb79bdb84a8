import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ReferralsService } from '@referloop/referrals';
import { Public } from '../auth/auth.decorators';
import { RateLimited } from '../auth/rate-limit.guard';
import { ApiProblems } from '../http/api-problems.decorator';
import { InvitationTokenDto, RecipientInviteLookupDto } from './referral.dto';

/** The sign-up page's view of a referral invite link: who was invited, never the referral. */
@ApiTags('referrals')
@Controller('referral-invites')
export class ReferralInvitesController {
  constructor(private readonly referrals: ReferralsService) {}

  /**
   * The invited email, full name and role of a pending referral invite, for the sign-up page to
   * pre-fill (the token in the body, never in a URL). 400 for an unknown or used link.
   */
  @Post('lookup')
  @Public()
  @RateLimited()
  @HttpCode(200)
  @ApiProblems('validation_failed', 'rate_limited')
  lookup(@Body() body: InvitationTokenDto): Promise<RecipientInviteLookupDto> {
    return this.referrals.lookupInvite(body.token);
  }
}
