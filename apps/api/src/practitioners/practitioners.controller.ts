import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type Principal } from '@referloop/common';
import { PractitionersService } from '@referloop/identity';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
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
  constructor(private readonly practitioners: PractitionersService) {}

  /** An admin adds a practitioner to the clinic; the answer carries the invitation link to hand over. */
  @Post()
  @HttpCode(201)
  @Roles('clinic_admin')
  @ApiProblems('validation_failed', 'forbidden', 'email_taken')
  invite(@CurrentPrincipal() principal: Principal, @Body() body: CreatePractitionerDto): Promise<InvitedPractitionerDto> {
    return this.practitioners.invite(principal, body);
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

  /** The practitioner themself or an admin of their clinic. */
  @Patch(':id')
  @ApiProblems('validation_failed', 'forbidden', 'not_found')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() body: UpdatePractitionerDto,
  ): Promise<UserResponseDto> {
    return this.practitioners.update(principal, id, body);
  }
}
