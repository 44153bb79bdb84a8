import { Controller, Get, Param, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { contentDisposition, type ReferralPdf, ReferralLettersService } from '@referloop/referrals';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { RESPONSE_HEADERS } from '../http/response-headers';
import { uuidParam } from '../http/uuid-param';

const PDF_RESPONSE = {
  status: 200,
  content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
  headers: { 'Content-Disposition': RESPONSE_HEADERS['Content-Disposition'] },
};

/** Sends a PDF for download under a name without PHI, never cached. */
function sendPdf(reply: FastifyReply, pdf: ReferralPdf): StreamableFile {
  void reply
    .header('content-type', 'application/pdf')
    .header('content-disposition', contentDisposition(pdf.fileName))
    .header('cache-control', 'private, no-store');
  return new StreamableFile(pdf.content);
}

/** The referral letter and the outcome report, for paper and fax. Same access as GET /referrals/:id. */
@ApiTags('referrals')
@ApiBearerAuth()
@ApiProblems('unauthenticated')
@Controller('referrals')
export class ReferralLettersController {
  constructor(private readonly letters: ReferralLettersService) {}

  /**
   * The referral letter (A4): both parties with their clinics' address and phone, the patient
   * summary, the referral (priority, reason, observations, body regions, pain, dates, red flags),
   * the maintenance plan and the attachments list. Audited as `referral.letter_pdf`. The file is
   * named `referral-<first 8 characters of the id>.pdf`.
   */
  @Get(':id/letter.pdf')
  @ApiProduces('application/pdf')
  @ApiResponse({ ...PDF_RESPONSE, description: 'The referral letter as a PDF' })
  @ApiProblems('validation_failed', 'not_found')
  async letter(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    return sendPdf(reply, await this.letters.letter(principal, id));
  }

  /**
   * The outcome report (A4): parties, patient summary, outcome, measures (pain at referral and
   * at discharge, PSFS, visits), progress reports and key dates. 409 `invalid_transition` (with
   * `currentStatus`) until the outcome is sent. Audited as `referral.outcome_pdf`; the file is
   * named `outcome-<first 8 characters of the id>.pdf`.
   */
  @Get(':id/outcome.pdf')
  @ApiProduces('application/pdf')
  @ApiResponse({ ...PDF_RESPONSE, description: 'The outcome report as a PDF' })
  @ApiProblems('validation_failed', 'not_found', 'invalid_transition')
  async outcome(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    return sendPdf(reply, await this.letters.outcome(principal, id));
  }
}
