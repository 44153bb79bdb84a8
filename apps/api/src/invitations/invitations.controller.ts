import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { InvitationsService } from '@referloop/identity';
import type { FastifyRequest } from 'fastify';
import { AdminOnly, CurrentPrincipal } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { PageQueryDto } from '../http/page-query.dto';
import { requestOrigin } from '../http/request-origin';
import { uuidParam } from '../http/uuid-param';
import { InvitationPageDto, ResentInvitationDto } from './invitation.dto';

/** The clinic's practitioner invitations (invite with POST /practitioners). Admins only. */
@ApiTags('invitations')
@ApiBearerAuth()
@ApiProblems('unauthenticated', 'forbidden')
@AdminOnly()
@Controller('invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  /** Newest first: pending, accepted, expired and revoked. */
  @Get()
  @ApiProblems('validation_failed')
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<InvitationPageDto> {
    return this.invitations.list(principal, query) as Promise<InvitationPageDto>;
  }

  /** A new link, emailed again; the previous link stops working. */
  @Post(':id/resend')
  @HttpCode(200)
  @ApiProblems('validation_failed', 'not_found', 'invalid_transition')
  resend(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Req() request: FastifyRequest,
  ): Promise<ResentInvitationDto> {
    return this.invitations.resend(principal, id, requestOrigin(request));
  }

  /** Revokes a pending invitation: the link stops working and the email is free to invite or sign up again. */
  @Delete(':id')
  @HttpCode(204)
  @ApiProblems('validation_failed', 'not_found', 'invalid_transition')
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<void> {
    await this.invitations.revoke(principal, id);
  }
}
