import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { PatientsService } from '@referloop/patients';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { uuidParam } from '../http/uuid-param';
import {
  ConsentDto,
  ConsentResponseDto,
  CreatePatientDto,
  PatientPageDto,
  PatientQueryDto,
  PatientResponseDto,
  UpdatePatientDto,
} from './patient.dto';

/** Patients of the caller's own clinic. Another clinic's patient is 404. Every call is audited. */
@ApiTags('patients')
@ApiBearerAuth()
@ApiProblems('unauthenticated')
@Controller('patients')
export class PatientsController {
  constructor(private readonly patients: PatientsService) {}

  /** Adds a patient to your clinic. */
  @Post()
  @HttpCode(201)
  @ApiProblems('validation_failed')
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreatePatientDto): Promise<PatientResponseDto> {
    return this.patients.create(principal, body);
  }

  /** Your clinic's patients, keyset-paged; `q` searches by name. */
  @Get()
  @ApiProblems('validation_failed')
  list(@CurrentPrincipal() principal: Principal, @Query() query: PatientQueryDto): Promise<PatientPageDto> {
    return this.patients.list(principal, query);
  }

  /** One patient of your clinic. */
  @Get(':id')
  @ApiProblems('validation_failed', 'not_found')
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<PatientResponseDto> {
    return this.patients.get(principal, id);
  }

  /** Changes a patient's details. */
  @Patch(':id')
  @ApiProblems('validation_failed', 'not_found')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() body: UpdatePatientDto,
  ): Promise<PatientResponseDto> {
    return this.patients.update(principal, id, body);
  }

  /** Records a consent; if the scope is already active, answers the active consent. */
  @Post(':id/consents')
  @HttpCode(201)
  @ApiProblems('validation_failed', 'not_found')
  grant(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() body: ConsentDto,
  ): Promise<ConsentResponseDto> {
    return this.patients.grantConsent(principal, id, body);
  }

  /** Revokes a consent; it stays on record with when and by whom it was revoked. */
  @Post(':id/consents/:consentId/revoke')
  @HttpCode(200)
  @ApiProblems('validation_failed', 'not_found')
  revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Param('consentId', uuidParam) consentId: string,
  ): Promise<ConsentResponseDto> {
    return this.patients.revokeConsent(principal, id, consentId);
  }
}
