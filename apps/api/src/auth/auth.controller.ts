import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { AuthService } from '@referloop/identity';
import { ApiProblems } from '../http/api-problems.decorator';
import {
  AcceptInvitationDto,
  LoginDto,
  PasswordResetConfirmDto,
  PasswordResetDto,
  RefreshDto,
  RegisterClinicDto,
  RegisteredClinicDto,
  TokensDto,
} from './auth.dto';
import { CurrentPrincipal, Public } from './auth.decorators';
import { RateLimited } from './rate-limit.guard';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates a clinic and its first admin, and signs the admin in. */
  @Post('register-clinic')
  @Public()
  @RateLimited()
  @HttpCode(201)
  @ApiProblems('validation_failed', 'email_taken', 'rate_limited')
  registerClinic(@Body() body: RegisterClinicDto): Promise<RegisteredClinicDto> {
    return this.auth.registerClinic(body);
  }

  @Post('login')
  @Public()
  @RateLimited()
  @HttpCode(200)
  @ApiProblems('validation_failed', 'unauthenticated', 'rate_limited')
  login(@Body() body: LoginDto): Promise<TokensDto> {
    return this.auth.login(body.email, body.password);
  }

  /** Rotates the refresh token. Reusing an already rotated token revokes the whole session. */
  @Post('refresh')
  @Public()
  @RateLimited()
  @HttpCode(200)
  @ApiProblems('validation_failed', 'unauthenticated', 'rate_limited')
  refresh(@Body() body: RefreshDto): Promise<TokensDto> {
    return this.auth.refresh(body.refreshToken);
  }

  /** Ends the current session: its access and refresh tokens stop working at once. */
  @Post('logout')
  @ApiBearerAuth()
  @HttpCode(204)
  @ApiProblems('unauthenticated')
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.logout(principal);
  }

  /** Sets the invited practitioner's password and signs them in. */
  @Post('accept-invitation')
  @Public()
  @RateLimited()
  @HttpCode(200)
  @ApiProblems('validation_failed', 'invitation_invalid', 'rate_limited')
  acceptInvitation(@Body() body: AcceptInvitationDto): Promise<TokensDto> {
    return this.auth.acceptInvitation(body.token, body.password);
  }

  /** Ends every session of the caller, the current one included. */
  @Post('logout-all')
  @ApiBearerAuth()
  @HttpCode(204)
  @ApiProblems('unauthenticated')
  async logoutAll(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.logoutAll(principal);
  }

  /**
   * Emails a single-use link to set a new password (valid 1 hour) when the address belongs to an
   * active account. Always 202, whether or not it does: the answer reveals nothing about accounts.
   */
  @Post('password-reset')
  @Public()
  @RateLimited()
  @HttpCode(202)
  @ApiProblems('validation_failed', 'rate_limited')
  async requestPasswordReset(@Body() body: PasswordResetDto): Promise<void> {
    await this.auth.requestPasswordReset(body.email);
  }

  /** Sets a new password with the link's token and signs in; every other session of the account ends. */
  @Post('password-reset/confirm')
  @Public()
  @RateLimited()
  @HttpCode(200)
  @ApiProblems('validation_failed', 'reset_token_invalid', 'rate_limited')
  confirmPasswordReset(@Body() body: PasswordResetConfirmDto): Promise<TokensDto> {
    return this.auth.confirmPasswordReset(body.token, body.password);
  }
}
