import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { AppError, type Principal } from '@referloop/common';
import { AuthService, REFRESH_RETRY_WINDOW_MS } from '@referloop/identity';
import { ReferralsService } from '@referloop/referrals';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblems } from '../http/api-problems.decorator';
import { idempotencyKey } from '../http/idempotency-key';
import {
  AcceptInvitationDto,
  InvitationLinkDto,
  LinkTokenDto,
  LoginDto,
  PasswordResetConfirmDto,
  PasswordResetDto,
  RefreshDto,
  RegisterClinicDto,
  RegisteredClinicDto,
  TokensDto,
} from './auth.dto';
import { CurrentPrincipal, Public, requestClientOf } from './auth.decorators';
import { RateLimited } from './rate-limit.guard';
import { REFRESH_COOKIE, WEB_CLIENT_HEADER, WebSession } from './web-session';

/** A refresh takes this many times AUTH_RATE_LIMIT_PER_MINUTE per address (still the limit per account elsewhere). */
const REFRESH_PER_IP_MULTIPLE = 10;

/** Documents the web app's header on every route that signs in or rotates the session. */
const WebClientHeader = () =>
  ApiHeader({
    name: WEB_CLIENT_HEADER,
    required: false,
    description: `\`web\`: the refresh token is set as an httpOnly cookie (\`${REFRESH_COOKIE}\`, Path=/api/v1/auth) and left out of the body`,
  });

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly webSession: WebSession,
    private readonly referrals: ReferralsService,
  ) {}

  /**
   * Creates a clinic and its first admin, and signs the admin in. With `invitationToken` (a referral
   * invite's link), the new practitioner becomes the recipient of the referrals sent to that invite.
   */
  @Post('register-clinic')
  @Public()
  @RateLimited()
  @HttpCode(201)
  @WebClientHeader()
  @ApiProblems('validation_failed', 'email_taken', 'licence_expired', 'rate_limited')
  async registerClinic(
    @Body() body: RegisterClinicDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RegisteredClinicDto> {
    const { invitationToken, ...input } = body;
    // Optional: null is as good as leaving it out.
    if (invitationToken === undefined || invitationToken === null)
      return this.webSession.answer(request, reply, await this.auth.registerClinic(requestClientOf(request), input));
    if (!input.admin.practitioner) {
      throw AppError.validation([{ field: 'admin.practitioner', message: 'is required to join through a referral invite' }]);
    }
    const registered = await this.auth.registerClinic(requestClientOf(request), input, (tx, user) =>
      this.referrals.joinInvite(tx, invitationToken, user),
    );
    return this.webSession.answer(request, reply, registered);
  }

  /** Signs in with email and password: answers the user, a short-lived access token (a bearer JWT) and a refresh token. */
  @Post('login')
  @Public()
  @RateLimited()
  @HttpCode(200)
  @WebClientHeader()
  @ApiProblems('validation_failed', 'unauthenticated', 'rate_limited')
  async login(
    @Body() body: LoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto> {
    return this.webSession.answer(request, reply, await this.auth.login(requestClientOf(request), body.email, body.password));
  }

  /**
   * Rotates the refresh token, given in the body or, for the web app, by its cookie (then the
   * request's Origin must be the app's). Reusing an already rotated token revokes the whole session,
   * unless it is the retry of a refresh whose answer was lost (the same `Idempotency-Key`).
   */
  @Post('refresh')
  @Public()
  // Every page load of the web app refreshes: a clinic behind one address opens many. A refresh
  // token is not guessable, so the per-address limit only bounds a flood of made-up ones.
  @RateLimited({ perIpMultiple: REFRESH_PER_IP_MULTIPLE })
  @HttpCode(200)
  @WebClientHeader()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Up to 255 visible ASCII characters, new for each refresh you mean. If the answer is lost (a reload, a dropped ' +
      `connection), send the same token again with the same key within ${REFRESH_RETRY_WINDOW_MS / 60_000} minutes: while the token that answer carried ` +
      'is unused, you get that same refresh token again, with an access token. Without the key, or with another, a token presented ' +
      'again is reuse and revokes the session.',
  })
  @ApiProblems('validation_failed', 'unauthenticated', 'forbidden', 'rate_limited')
  async refresh(
    @Body() body: RefreshDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto> {
    const retryKey = idempotencyKey(key);
    const fromCookie = body.refreshToken === undefined;
    const refreshToken = body.refreshToken ?? this.webSession.cookieToken(request);
    if (refreshToken === undefined) {
      throw AppError.validation([{ field: 'refreshToken', message: 'is required (in the body, or as the web session cookie)' }]);
    }
    try {
      return this.webSession.answer(
        request,
        reply,
        await this.auth.refresh(requestClientOf(request), refreshToken, retryKey),
        fromCookie,
      );
    } catch (error) {
      // A cookie that no longer works is dropped, so the browser stops sending it.
      if (fromCookie) this.webSession.clear(request, reply);
      throw error;
    }
  }

  /** Ends the current session: its access and refresh tokens stop working at once (and the web app's cookie is cleared). */
  @Post('logout')
  @ApiBearerAuth()
  @HttpCode(204)
  @ApiProblems('unauthenticated', 'forbidden')
  async logout(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    this.clearWebCookie(request, reply);
    await this.auth.logout(principal);
  }

  /**
   * Whether an invitation's link still works, and whom it invites: its page asks before anyone types
   * a password (400 naming `token` when it was accepted, re-sent, revoked or has expired). Uses nothing up.
   */
  @Post('accept-invitation/lookup')
  @Public()
  @RateLimited()
  @HttpCode(200)
  @ApiProblems('validation_failed', 'rate_limited')
  invitationLink(@Body() body: LinkTokenDto): Promise<InvitationLinkDto> {
    return this.auth.invitationLink(body.token);
  }

  /** Sets the invited practitioner's password and signs them in. */
  @Post('accept-invitation')
  @Public()
  @RateLimited()
  @HttpCode(200)
  @WebClientHeader()
  @ApiProblems('validation_failed', 'rate_limited')
  async acceptInvitation(
    @Body() body: AcceptInvitationDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto> {
    return this.webSession.answer(
      request,
      reply,
      await this.auth.acceptInvitation(requestClientOf(request), body.token, body.password),
    );
  }

  /** Ends every session of the caller, the current one included (and clears the web app's cookie). */
  @Post('logout-all')
  @ApiBearerAuth()
  @HttpCode(204)
  @ApiProblems('unauthenticated', 'forbidden')
  async logoutAll(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    this.clearWebCookie(request, reply);
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
  async requestPasswordReset(@Req() request: FastifyRequest, @Body() body: PasswordResetDto): Promise<void> {
    await this.auth.requestPasswordReset(requestClientOf(request), body.email);
  }

  /**
   * Whether a password reset link still works: its page asks before anyone types a password (400
   * naming `token` when it was used, has expired or its account is deactivated). Uses nothing up.
   */
  @Post('password-reset/lookup')
  @Public()
  @RateLimited()
  @HttpCode(204)
  @ApiProblems('validation_failed', 'rate_limited')
  async checkPasswordResetLink(@Body() body: LinkTokenDto): Promise<void> {
    await this.auth.checkPasswordResetLink(body.token);
  }

  /** Sets a new password with the link's token and signs in; every other session of the account ends. */
  @Post('password-reset/confirm')
  @Public()
  @RateLimited()
  @HttpCode(200)
  @WebClientHeader()
  @ApiProblems('validation_failed', 'rate_limited')
  async confirmPasswordReset(
    @Body() body: PasswordResetConfirmDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto> {
    return this.webSession.answer(
      request,
      reply,
      await this.auth.confirmPasswordReset(requestClientOf(request), body.token, body.password),
    );
  }

  /** Signing out from the web app (its header or its cookie, the latter Origin-checked) also ends the cookie. */
  private clearWebCookie(request: FastifyRequest, reply: FastifyReply): void {
    if (this.webSession.cookieToken(request) !== undefined || this.webSession.isWebClient(request)) {
      this.webSession.clear(request, reply);
    }
  }
}
