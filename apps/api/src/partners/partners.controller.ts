import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { type PartnerList, PartnersService } from '@referloop/identity';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, AdminOnly } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { PageQueryDto } from '../http/page-query.dto';
import { uuidParam } from '../http/uuid-param';
import { PartnerPractitionerDto, PartnerDto, PartnerPageDto } from './partner.dto';

/**
 * Saved partners: `/me/partners` are the caller's own, `/clinics/me/partners` their clinic's preferred
 * ones (admins only). Directory items say which (`partner`) and list them first.
 */
@ApiTags('partners')
@ApiBearerAuth()
@ApiProblems('unauthenticated')
@Controller()
export class PartnersController {
  constructor(private readonly partners: PartnersService) {}

  /** Your saved partners, newest first. */
  @Get('me/partners')
  @ApiProblems('validation_failed')
  listMine(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<PartnerPageDto> {
    return this.partners.list(principal, 'mine', query);
  }

  /** 201 when saved now, 200 when already saved. */
  @Post('me/partners')
  @HttpCode(201)
  @ApiResponse({ status: 201, type: PartnerDto, description: 'saved now' })
  @ApiResponse({ status: 200, type: PartnerDto, description: 'already saved' })
  @ApiProblems('validation_failed', 'not_found')
  addMine(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PartnerPractitionerDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PartnerDto> {
    return this.add(principal, 'mine', body, reply);
  }

  /** Removes a practitioner from your saved partners (also as `DELETE /me/partners` with `{practitionerId}`). */
  @Delete('me/partners/:practitionerId')
  @HttpCode(204)
  @ApiProblems('validation_failed', 'not_found')
  async removeMine(
    @CurrentPrincipal() principal: Principal,
    @Param('practitionerId', uuidParam) practitionerId: string,
  ): Promise<void> {
    await this.partners.remove(principal, 'mine', practitionerId);
  }

  /** The same as `DELETE /me/partners/{practitionerId}`, with the practitioner in the body as for `POST`. */
  @Delete('me/partners')
  @HttpCode(204)
  @ApiProblems('validation_failed', 'not_found')
  async removeMineByBody(@CurrentPrincipal() principal: Principal, @Body() body: PartnerPractitionerDto): Promise<void> {
    await this.partners.remove(principal, 'mine', body.practitionerId);
  }

  /** Your clinic's preferred partners (admins), newest first. */
  @Get('clinics/me/partners')
  @AdminOnly()
  @ApiProblems('validation_failed', 'forbidden')
  listClinic(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<PartnerPageDto> {
    return this.partners.list(principal, 'clinic', query);
  }

  /** 201 when saved now, 200 when already saved. */
  @Post('clinics/me/partners')
  @HttpCode(201)
  @AdminOnly()
  @ApiResponse({ status: 201, type: PartnerDto, description: 'saved now' })
  @ApiResponse({ status: 200, type: PartnerDto, description: 'already saved' })
  @ApiProblems('validation_failed', 'forbidden', 'not_found')
  addClinic(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PartnerPractitionerDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PartnerDto> {
    return this.add(principal, 'clinic', body, reply);
  }

  /** Removes a practitioner from your clinic's preferred partners (admins; also as `DELETE /clinics/me/partners` with `{practitionerId}`). */
  @Delete('clinics/me/partners/:practitionerId')
  @HttpCode(204)
  @AdminOnly()
  @ApiProblems('validation_failed', 'forbidden', 'not_found')
  async removeClinic(
    @CurrentPrincipal() principal: Principal,
    @Param('practitionerId', uuidParam) practitionerId: string,
  ): Promise<void> {
    await this.partners.remove(principal, 'clinic', practitionerId);
  }

  /** The same as `DELETE /clinics/me/partners/{practitionerId}`, with the practitioner in the body as for `POST`. */
  @Delete('clinics/me/partners')
  @HttpCode(204)
  @AdminOnly()
  @ApiProblems('validation_failed', 'forbidden', 'not_found')
  async removeClinicByBody(@CurrentPrincipal() principal: Principal, @Body() body: PartnerPractitionerDto): Promise<void> {
    await this.partners.remove(principal, 'clinic', body.practitionerId);
  }

  private async add(
    principal: Principal,
    list: PartnerList,
    body: PartnerPractitionerDto,
    reply: FastifyReply,
  ): Promise<PartnerDto> {
    const { partner, created } = await this.partners.add(principal, list, body.practitionerId);
    if (!created) reply.status(200);
    return partner;
  }
}
