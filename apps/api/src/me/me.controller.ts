import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { AuthService, PractitionersService } from '@referloop/identity';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { RateLimited } from '../auth/rate-limit.guard';
import { ApiProblems } from '../http/api-problems.decorator';
import { PageQueryDto } from '../http/page-query.dto';
import { uuidParam } from '../http/uuid-param';
import { ChangePasswordDto, SessionPageDto } from './session.dto';
import { UserResponseDto } from './user.dto';

@ApiTags('me')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  constructor(
    private readonly practitioners: PractitionersService,
    private readonly auth: AuthService,
  ) {}

  /** The signed-in user, with their clinic. */
  @Get()
  @ApiProblems('unauthenticated')
  me(@CurrentPrincipal() principal: Principal): Promise<UserResponseDto> {
    return this.practitioners.me(principal);
  }

  /**
   * Changes the caller's password. A wrong current password is 403 `forbidden`, naming `currentPassword`.
   * Every other session of the caller ends; this one stays signed in. Rate limited like sign-in (per
   * IP and per account): a stolen access token must not become endless guesses at the password.
   */
  @Post('password')
  @HttpCode(204)
  @RateLimited()
  @ApiProblems('validation_failed', 'forbidden', 'rate_limited')
  async changePassword(@CurrentPrincipal() principal: Principal, @Body() body: ChangePasswordDto): Promise<void> {
    await this.auth.changePassword(principal, body.currentPassword, body.newPassword);
  }

  /** The caller's live sessions (signed-in devices), the current one marked; most recently used first. */
  @Get('sessions')
  @ApiProblems('validation_failed')
  sessions(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<SessionPageDto> {
    return this.auth.sessions(principal, query);
  }

  /** Ends one of the caller's sessions (its tokens stop working at once). Another user's session is 404. */
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiProblems('validation_failed', 'not_found')
  async endSession(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<void> {
    await this.auth.endSession(principal, id);
  }
}
