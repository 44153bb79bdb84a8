import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  AdminMetricsService,
  AuditEventsService,
  EXPORT_COLUMNS,
  OverdueReferralsService,
  ReferralExportService,
} from '@referloop/admin';
import { PinoNestLogger, type Principal } from '@referloop/common';
import { ReferralsService } from '@referloop/referrals';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, AdminOnly } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { RESPONSE_HEADERS } from '../http/response-headers';
import { PageQueryDto } from '../http/page-query.dto';
import { ReferralPageDto } from '../referrals/referral.dto';
import {
  AdminMetricsDto,
  AuditEventPageDto,
  AuditEventQueryDto,
  OverduePageDto,
  OverdueQueryDto,
  TimeWindowQueryDto,
} from './admin.dto';

/** The clinic admin's views over their own clinic. Practitioners get 403. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiProblems('unauthenticated', 'forbidden')
@AdminOnly()
@Controller('admin')
export class AdminController {
  constructor(
    private readonly metricsService: AdminMetricsService,
    private readonly overdueService: OverdueReferralsService,
    private readonly auditEvents: AuditEventsService,
    private readonly exports: ReferralExportService,
    private readonly referrals: ReferralsService,
  ) {}

  /**
   * Referral metrics of your clinic over referrals created in [from, to) (default: the last 30
   * days): counts by status, decided, closed-loop rate, leakage, overdue, median durations, and
   * the same per practitioner. See the schema for each figure's definition.
   */
  @Get('metrics')
  @ApiProblems('validation_failed')
  metrics(@CurrentPrincipal() principal: Principal, @Query() query: TimeWindowQueryDto): Promise<AdminMetricsDto> {
    return this.metricsService.metrics(principal, query);
  }

  /**
   * Referrals of your clinic (either side) awaiting the recipient's decision (`sent` or `received`)
   * whose response SLA has passed the reminder threshold of their priority, most overdue first.
   * One waiting for the sender's answer (`info_requested`) is not listed: its clock is paused.
   * `escalationDue` marks those past the escalation threshold, which the metrics' `overdue` counts.
   */
  @Get('referrals/overdue')
  @ApiProblems('validation_failed')
  overdue(@CurrentPrincipal() principal: Principal, @Query() query: OverdueQueryDto): Promise<OverduePageDto> {
    return this.overdueService.list(principal, query);
  }

  /**
   * Open referrals of your clinic whose own-side practitioner (sender, or recipient once sent) is
   * deactivated, newest change first: move them with `POST /referrals/:id/reassign`.
   */
  @Get('referrals/unowned')
  @ApiProblems('validation_failed')
  unowned(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<ReferralPageDto> {
    return this.referrals.unowned(principal, query);
  }

  /** Your clinic's audit trail, newest first. Holds ids and actions only, never patient data. */
  @Get('audit-events')
  @ApiProblems('validation_failed')
  audit(@CurrentPrincipal() principal: Principal, @Query() query: AuditEventQueryDto): Promise<AuditEventPageDto> {
    return this.auditEvents.list(principal, query);
  }

  /**
   * CSV (RFC 4180, CRLF) of the referrals created in [from, to) that involve your clinic, oldest
   * first, streamed. Contains patient names: the export is recorded in the audit log
   * (`referral.export`, with the row count). Cells that a spreadsheet would run as a formula
   * (starting with `=`, `+`, `-`, `@`, tab or CR) get a leading apostrophe.
   */
  @Get('referrals/export.csv')
  @ApiProduces('text/csv')
  @ApiResponse({
    status: 200,
    description: `CSV with the columns ${EXPORT_COLUMNS.join(', ')}`,
    content: { 'text/csv': { schema: { type: 'string' } } },
    headers: { 'Content-Disposition': RESPONSE_HEADERS['Content-Disposition'] },
  })
  @ApiProblems('validation_failed')
  async export(
    @CurrentPrincipal() principal: Principal,
    @Query() query: TimeWindowQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const file = await this.exports.export(principal, query, new PinoNestLogger(reply.log));
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${file.fileName}"`)
      .header('cache-control', 'private, no-store');
    return new StreamableFile(file.stream);
  }
}
