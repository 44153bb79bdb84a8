import { Body, Controller, Get, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { ClinicsService, PractitionersService } from '@referloop/identity';
import { AdminOnly, CurrentPrincipal } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { PageQueryDto } from '../http/page-query.dto';
import { MemberPageDto } from '../practitioners/practitioner.dto';
import { ClinicResponseDto, UpdateClinicDto } from './clinic.dto';

@ApiTags('clinics')
@ApiBearerAuth()
@ApiProblems('unauthenticated')
@Controller('clinics')
export class ClinicsController {
  constructor(
    private readonly clinics: ClinicsService,
    private readonly practitioners: PractitionersService,
  ) {}

  /** Your clinic. */
  @Get('me')
  get(@CurrentPrincipal() principal: Principal): Promise<ClinicResponseDto> {
    return this.clinics.getOwn(principal);
  }

  /** Changes your clinic's details (clinic admins). */
  @Patch('me')
  @AdminOnly()
  @ApiProblems('validation_failed', 'forbidden')
  update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateClinicDto): Promise<ClinicResponseDto> {
    return this.clinics.updateOwn(principal, body);
  }

  /**
   * Every user of your clinic, by name: admins and practitioners, invited, active (`active: true`)
   * or deactivated, licences expired or not. The directory (`GET /practitioners`) lists only who
   * can receive referrals; this is what an admin manages (deactivate, reactivate).
   */
  @Get('me/members')
  @ApiProblems('validation_failed', 'forbidden')
  members(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<MemberPageDto> {
    return this.practitioners.clinicMembers(principal, query);
  }
}
