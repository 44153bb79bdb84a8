import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { ClinicsService } from '@referloop/identity';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { ClinicResponseDto, UpdateClinicDto } from './clinic.dto';

@ApiTags('clinics')
@ApiBearerAuth()
@ApiProblems('unauthenticated')
@Controller('clinics')
export class ClinicsController {
  constructor(private readonly clinics: ClinicsService) {}

  /** Your clinic. */
  @Get('me')
  get(@CurrentPrincipal() principal: Principal): Promise<ClinicResponseDto> {
    return this.clinics.getOwn(principal.clinicId);
  }

  /** Changes your clinic's details (clinic admins). */
  @Patch('me')
  @Roles('clinic_admin')
  @ApiProblems('validation_failed', 'forbidden')
  update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateClinicDto): Promise<ClinicResponseDto> {
    return this.clinics.updateOwn(principal.clinicId, body);
  }
}
