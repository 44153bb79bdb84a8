import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Principal } from '@referloop/common';
import { AuthService } from '@referloop/identity';
import { ApiProblems } from '../http/api-problems.decorator';
import { AcceptInvitationDto, LoginDto, RefreshDto, RegisterClinicDto, RegisteredClinicDto, TokensDto } from './auth.dto';
import { CurrentPrincipal, Public } from './auth.decorators';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates a clinic and its first admin, and signs the admin in. */
  @Post('register-clinic')
  @Public()
  @UseGuards(ThrottlerGuard)
  @HttpCode(201)
  @ApiProblems('validation_failed', 'email_taken', 'rate_limited')
  registerClinic(@Body() body: RegisterClinicDto): Promise<RegisteredClinicDto> {
    return this.auth.registerClinic(body);
  }

  /** Signs in with email and password: answers the user, a short-lived access token (a bearer JWT) and a refresh token. */
  @Post('login')
  @Public()
  @UseGuards(ThrottlerGuard)
  @HttpCode(200)
  @ApiProblems('validation_failed', 'unauthenticated', 'rate_limited')
  login(@Body() body: LoginDto): Promise<TokensDto> {
    return this.auth.login(body.email, body.password);
  }

  /** Rotates the refresh token. Reusing an already rotated token revokes the whole session. */
  @Post('refresh')
  @Public()
  @UseGuards(ThrottlerGuard)
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
  @UseGuards(ThrottlerGuard)
  @HttpCode(200)
  @ApiProblems('validation_failed', 'invitation_invalid', 'rate_limited')
  acceptInvitation(@Body() body: AcceptInvitationDto): Promise<TokensDto> {
    return this.auth.acceptInvitation(body.token, body.password);
  }
}
