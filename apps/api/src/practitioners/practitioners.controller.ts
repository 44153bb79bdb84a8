import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type Principal } from '@referloop/common';
import { InvitationsService, PractitionersService } from '@referloop/identity';
import type { FastifyRequest } from 'fastify';
import { AdminOnly, CurrentPrincipal } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { requestOrigin } from '../http/request-origin';
import { uuidParam } from '../http/uuid-param';
import { UserResponseDto } from '../me/user.dto';
import {
  CreatePractitionerDto,
  DirectoryQueryDto,
  InvitedPractitionerDto,
  PractitionerPageDto,
  UpdatePractitionerDto,
} from './practitioner.dto';

@ApiTags('practitioners')
@ApiBearerAuth()
@ApiProblems('unauthenticated')
@Controller('practitioners')
export class PractitionersController {
  constructor(
    private readonly practitioners: PractitionersService,
    private readonly invitations: InvitationsService,
  ) {}

  /**
   * An admin adds a practitioner to the clinic; the answer carries the invitation link to hand over.
   * Inviting an email whose invitation is still open re-sends it (a new link; the old one stops working).
   */
  @Post()
  @HttpCode(201)
  @AdminOnly()
  @ApiProblems('validation_failed', 'forbidden', 'email_taken')
  invite(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreatePractitionerDto,
    @Req() request: FastifyRequest,
  ): Promise<InvitedPractitionerDto> {
    return this.invitations.invite(principal, body, requestOrigin(request));
  }

  /** The directory across clinics. Practitioners with an expired licence are not listed. */
  @Get()
  @ApiProblems('validation_failed')
  directory(@CurrentPrincipal() principal: Principal, @Query() query: DirectoryQueryDto): Promise<PractitionerPageDto> {
    return this.practitioners.directory(principal, query);
  }

  /** One practitioner, by id. */
  @Get(':id')
  @ApiProblems('validation_failed', 'not_found')
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<UserResponseDto> {
    return this.practitioners.get(principal, id);
  }

  /**
   * The practitioner themself or an admin of their clinic; `isAdmin` by admins only, never removed from the last admin.
   * Admin rights granted or removed by another admin tell that user in-app (`admin_rights_granted` / `admin_rights_removed`).
   */
  @Patch(':id')
  @ApiProblems('validation_failed', 'forbidden', 'not_found', 'last_admin')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() body: UpdatePractitionerDto,
  ): Promise<UserResponseDto> {
    return this.practitioners.update(principal, id, body);
  }

  /**
   * An admin of the clinic deactivates a user: their sessions end at once, they cannot sign in,
   * they leave the directory and cannot be chosen as a recipient. Their open referrals are listed
   * by `GET /admin/referrals/unowned`. 422 `last_admin` for the clinic's last active admin.
   */
  @Post(':id/deactivate')
  @HttpCode(200)
  @ApiProblems('validation_failed', 'forbidden', 'not_found', 'last_admin')
  deactivate(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<UserResponseDto> {
    return this.practitioners.deactivate(principal, id);
  }

  /** An admin of the clinic lets a deactivated user sign in again. */
  @Post(':id/reactivate')
  @HttpCode(200)
  @ApiProblems('validation_failed', 'forbidden', 'not_found')
  reactivate(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<UserResponseDto> {
    return this.practitioners.reactivate(principal, id);
  }
}
