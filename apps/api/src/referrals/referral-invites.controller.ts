import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { ReferralsService } from '@referloop/referrals';
import { CurrentPrincipal, Public } from '../auth/auth.decorators';
import { RateLimited } from '../auth/rate-limit.guard';
import { ApiProblems } from '../http/api-problems.decorator';
import { LinkTokenDto } from '../auth/auth.dto';
import { RecipientInviteLookupDto } from './referral.dto';

/** A referral invite link: the sign-up page's view of it (who was invited, never the referral), and taking it with an account one has. */
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
  lookup(@Body() body: LinkTokenDto): Promise<RecipientInviteLookupDto> {
    return this.referrals.lookupInvite(body.token);
  }

  /**
   * Signed in as a practitioner already on ReferLoop: take the referrals of a join link sent to you,
   * as joining would (a `recipient_joined` event tells both sides). The link is used up. 400 for an
   * unknown or used link, 403 for your own clinic's link or a non-practitioner, 422
   * `recipient_type_mismatch` for a link that invites the other profession and `licence_expired`
   * while your licence has expired (the link stays usable).
   */
  @Post('claim')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiProblems('validation_failed', 'unauthenticated', 'forbidden', 'recipient_type_mismatch', 'licence_expired')
  async claim(@CurrentPrincipal() principal: Principal, @Body() body: LinkTokenDto): Promise<void> {
    await this.referrals.claimInvite(principal, body.token);
  }
}
