import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiProduces, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { consentOfUnsubscribeToken, escapeHtml } from '@referloop/notifications';
import { PatientsService } from '@referloop/patients';
import { IsIn } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, requestClientOf } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { AnyQuery } from '../http/declared-input.guard';

/** The body RFC 8058 prescribes for a one-click unsubscribe (a form, multipart or urlencoded). */
export class OneClickDto {
  @ApiProperty({ enum: ['One-Click'] })
  @IsIn(['One-Click'])
  'List-Unsubscribe': string;
}

const HTML = { status: 200, content: { 'text/html': { schema: { type: 'string' } } } };

/**
 * A patient's one-click unsubscribe from the emails about their referral (the link in every patient
 * email). The token in the path unlocks nothing but revoking that consent; it is never logged.
 */
@ApiTags('unsubscribe')
@Public()
@AnyQuery()
@Controller('unsubscribe')
export class UnsubscribeController {
  constructor(
    private readonly patients: PatientsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A page asking to confirm, with a button that POSTs: a GET changes nothing, since mail scanners
   * open the links of an email. Once the patient is unsubscribed, the page says so instead.
   */
  @Get(':token')
  @ApiProduces('text/html')
  @ApiResponse({ ...HTML, description: 'The confirmation page' })
  @ApiProblems('not_found')
  async confirm(
    @Param('token') token: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    const consentId = this.consentOf(token);
    const state = consentId ? await this.patients.unsubscribeState(consentId) : null;
    if (!state) return deadLink(request, reply);
    if (state === 'unsubscribed') return UNSUBSCRIBED;
    return page(
      'Stop emails about your referral?',
      `<p>You will no longer receive emails about your referral. Your clinic can still reach you by other means.</p>
<form method="post" action="${escapeHtml(encodeURIComponent(token))}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Stop these emails</button></form>`,
    );
  }

  /** RFC 8058 one-click unsubscribe: revokes the patient's `patient_notifications` consent (again: no change). */
  @Post(':token')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded', 'multipart/form-data')
  @ApiBody({ type: OneClickDto })
  @ApiProduces('text/html')
  @ApiResponse({ ...HTML, description: 'Unsubscribed' })
  @ApiProblems('validation_failed', 'not_found')
  async unsubscribe(
    @Param('token') token: string,
    @Body() _body: OneClickDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    const consentId = this.consentOf(token);
    if (!consentId || !(await this.patients.unsubscribe(requestClientOf(request), consentId))) return deadLink(request, reply);
    return UNSUBSCRIBED;
  }

  private consentOf(token: string): string | null {
    return consentOfUnsubscribeToken(this.config.jwt.secret, token);
  }
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

/** After the click, and for a link opened again later: nothing left to confirm. */
const UNSUBSCRIBED = page('You are unsubscribed', '<p>You will no longer receive emails about your referral.</p>');

/**
 * A link that unlocks nothing: 404. A browser (the patient who clicked it) gets a page in words;
 * any other client the problem document.
 */
function deadLink(request: FastifyRequest, reply: FastifyReply): string {
  if (!(request.headers.accept ?? '').includes('text/html')) throw new AppError('not_found', 'The link is not valid');
  void reply.code(404);
  return page(
    'This link does not work',
    '<p>The link may be incomplete or out of date, and nothing was changed. To stop emails about your referral, ask your clinic.</p>',
  );
}
