import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { PatientsService } from '@referloop/patients';
import { FollowUpService, IdempotencyStore } from '@referloop/referrals';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { ApiIdempotencyKey, idempotently } from '../http/idempotency-key';
import { uuidParam } from '../http/uuid-param';
import {
  ConsentDto,
  ConsentResponseDto,
  CreatePatientDto,
  ImportPatientDto,
  PatientPageDto,
  PatientQueryDto,
  PatientResponseDto,
  PatientSearchDto,
  UpdatePatientDto,
} from './patient.dto';

/** Patients of the caller's own clinic. Another clinic's patient is 404. Every call is audited. */
@ApiTags('patients')
@ApiBearerAuth()
@ApiProblems('unauthenticated')
@Controller('patients')
export class PatientsController {
  constructor(
    private readonly patients: PatientsService,
    private readonly followUps: FollowUpService,
    private readonly idempotency: IdempotencyStore,
  ) {}

  /** Adds a patient to your clinic. With an `Idempotency-Key`, a retry or a double click adds them once. */
  @Post()
  @HttpCode(201)
  @ApiIdempotencyKey()
  @ApiProblems('validation_failed', 'idempotency_in_progress', 'idempotency_key_reused')
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreatePatientDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PatientResponseDto> {
    return idempotently(this.idempotency, principal.userId, key, { operation: 'patient.create', body }, reply, 201, (tx) =>
      this.patients.create(principal, body, tx),
    );
  }

  /**
   * Makes the patient of a referral your clinic received a patient of your clinic (a copy of the
   * referral's patient summary, linked to it, without consents: record them as for any patient).
   * 201 with the new copy, 200 with the existing one. 404 for a referral your clinic did not receive;
   * 409 `invalid_transition` before your side accepted it, or once it was declined, cancelled or expired.
   */
  @Post('import')
  @HttpCode(201)
  @ApiResponse({ status: 201, type: PatientResponseDto, description: 'the new copy' })
  @ApiResponse({ status: 200, type: PatientResponseDto, description: 'the copy your clinic has already' })
  @ApiProblems('validation_failed', 'not_found', 'invalid_transition')
  async import(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ImportPatientDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PatientResponseDto> {
    const { patient, created } = await this.followUps.importPatient(principal, body.referralId);
    if (!created) void reply.status(200);
    return patient;
  }

  /** Your clinic's patients, keyset-paged; `q` searches by name. */
  @Get()
  @ApiProblems('validation_failed')
  list(@CurrentPrincipal() principal: Principal, @Query() query: PatientQueryDto): Promise<PatientPageDto> {
    return this.patients.list(principal, query);
  }

  /**
   * The same list and search as `GET /patients`, asked in the body: a patient's name in a query
   * string is written down by every proxy and load balancer on the way (the web app searches here).
   */
  @Post('search')
  @HttpCode(200)
  @ApiProblems('validation_failed')
  search(@CurrentPrincipal() principal: Principal, @Body() body: PatientSearchDto): Promise<PatientPageDto> {
    return this.patients.list(principal, body);
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

  /** Records a consent: 201 with the new consent, or 200 with the active one when the scope is already active. */
  @Post(':id/consents')
  @HttpCode(201)
  @ApiResponse({ status: 201, type: ConsentResponseDto, description: 'recorded now' })
  @ApiResponse({ status: 200, type: ConsentResponseDto, description: 'the scope was active already: that consent' })
  @ApiProblems('validation_failed', 'not_found')
  async grant(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() body: ConsentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConsentResponseDto> {
    const { consent, created } = await this.patients.grantConsent(principal, id, body);
    if (!created) void reply.status(200);
    return consent;
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
