import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppError, type Principal, REFERRAL_ACTIONS } from '@referloop/common';
import {
  AttachmentsService,
  contentDisposition,
  DraftsService,
  FollowUpService,
  IdempotencyStore,
  isReferralAction,
  ReferralMessagesService,
  ReferralsService,
  type ReferralView,
} from '@referloop/referrals';
import { NotificationsService } from '@referloop/notifications';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { MultipartBody } from '../http/declared-input.guard';
import { ApiIdempotencyKey, idempotently } from '../http/idempotency-key';
import { ApiProblems } from '../http/api-problems.decorator';
import { RESPONSE_HEADERS } from '../http/response-headers';
import { PageQueryDto } from '../http/page-query.dto';
import { UploadSlots, uploadedFile } from '../http/uploaded-file';
import { uuidParam } from '../http/uuid-param';
import {
  AttachmentDto,
  CreateReferralDto,
  FollowUpDto,
  PostMessageDto,
  ReassignReferralDto,
  ReferralActionDto,
  ProgressPageDto,
  ReferralEventPageDto,
  ReferralMessageDto,
  ReferralMessagePageDto,
  ReferralPageDto,
  ReferralQueryDto,
  ReferralResponseDto,
  ResendInviteDto,
  UpdateReferralDto,
} from './referral.dto';

/** `If-Match: "3"`, `W/"3"` or `3` → 3. */
function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!match) throw AppError.validation([{ field: 'If-Match', message: 'must be the referral version, e.g. "3"' }]);
  return Number(match[1]);
}

/** The If-Match header every versioned write takes, documented once. */
const ApiIfMatch = ApiHeader({
  name: 'If-Match',
  required: false,
  description: 'The version you read, instead of body field `version`',
});

function withEtag(reply: FastifyReply, view: ReferralView): ReferralView {
  void reply.header('etag', `"${view.version}"`);
  return view;
}

@ApiTags('referrals')
@ApiBearerAuth()
@ApiProblems('unauthenticated')
@Controller('referrals')
export class ReferralsController {
  constructor(
    private readonly referrals: ReferralsService,
    private readonly messages: ReferralMessagesService,
    private readonly attachments: AttachmentsService,
    private readonly idempotency: IdempotencyStore,
    private readonly followUps: FollowUpService,
    private readonly drafts: DraftsService,
    private readonly notifications: NotificationsService,
    private readonly uploadSlots: UploadSlots,
  ) {}

  /**
   * Creates a draft (version 1). With an `Idempotency-Key` header, the same key and body give the
   * same answer (one referral), the same key with another body is 422.
   */
  @Post()
  @HttpCode(201)
  @ApiIdempotencyKey()
  @ApiProblems(
    'validation_failed',
    'forbidden',
    'not_found',
    'idempotency_in_progress',
    'sender_role_mismatch',
    'recipient_type_mismatch',
    'licence_expired',
    'recipient_not_accepting',
    'red_flags_require_urgent',
    'not_redirectable',
    'idempotency_key_reused',
  )
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateReferralDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReferralResponseDto> {
    const view = await idempotently(
      this.idempotency,
      principal.userId,
      key,
      { operation: 'referral.create', body },
      reply,
      201,
      (tx) => this.referrals.create(principal, body, tx),
    );
    return withEtag(reply, view);
  }

  /** Your referrals, newest change first, keyset-paged. `box=clinic` is for clinic admins. */
  @Get()
  @ApiProblems('validation_failed', 'forbidden')
  list(@CurrentPrincipal() principal: Principal, @Query() query: ReferralQueryDto): Promise<ReferralPageDto> {
    return this.referrals.list(principal, query);
  }

  /** The referral with its timeline and attachments. The recipient's first read acknowledges it. */
  @Get(':id')
  @ApiProblems('validation_failed', 'not_found')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReferralResponseDto> {
    return withEtag(reply, await this.referrals.get(principal, id));
  }

  /**
   * Edits a draft: any field a create takes (left out: unchanged; `null` clears an optional one),
   * with the version you read (body `version` or `If-Match`). Every rule of a create is checked again
   * on the edited draft. Appends one `draft_updated` event and answers the referral as GET does. Sender
   * side only; 409 `stale_version` if it changed, 409 `invalid_transition` once it is no longer a draft.
   */
  @Patch(':id')
  @ApiIfMatch
  @ApiProblems(
    'validation_failed',
    'forbidden',
    'not_found',
    'invalid_transition',
    'stale_version',
    'sender_role_mismatch',
    'recipient_type_mismatch',
    'licence_expired',
    'recipient_not_accepting',
    'red_flags_require_urgent',
  )
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() body: UpdateReferralDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReferralResponseDto> {
    return withEtag(reply, await this.drafts.update(principal, id, body, parseIfMatch(ifMatch)));
  }

  /** The referral's timeline, oldest event first (keyset-paged). */
  @Get(':id/events')
  @ApiProblems('validation_failed', 'not_found')
  events(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Query() query: PageQueryDto,
  ): Promise<ReferralEventPageDto> {
    return this.referrals.events(principal, id, query);
  }

  /** The referral's progress reports, oldest first (keyset-paged). */
  @Get(':id/progress')
  @ApiProblems('validation_failed', 'not_found')
  progress(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Query() query: PageQueryDto,
  ): Promise<ProgressPageDto> {
    return this.referrals.progress(principal, id, query);
  }

  /** The conversation of a sent referral, oldest message first (keyset-paged). A draft has none: 409 for its sender side. */
  @Get(':id/messages')
  @ApiProblems('validation_failed', 'not_found', 'invalid_transition')
  listMessages(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Query() query: PageQueryDto,
  ): Promise<ReferralMessagePageDto> {
    return this.messages.list(principal, id, query);
  }

  /**
   * Posts a message (1–5000 characters) to the other side of a sent referral, in any state after
   * sending; they are notified. With an `Idempotency-Key`, a retry posts it once.
   */
  @Post(':id/messages')
  @HttpCode(201)
  @ApiIdempotencyKey()
  @ApiProblems('validation_failed', 'not_found', 'invalid_transition', 'idempotency_in_progress', 'idempotency_key_reused')
  postMessage(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() input: PostMessageDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReferralMessageDto> {
    return idempotently(
      this.idempotency,
      principal.userId,
      key,
      { operation: 'referral.message', body: { referralId: id, body: input.body } },
      reply,
      201,
      (tx) => this.messages.post(principal, id, input.body, tx),
    );
  }

  /**
   * Marks the referral's messages and timeline events read for you: its `unreadCount` in the lists
   * drops to 0, and your in-app notifications about it are marked read too.
   */
  @Post(':id/read')
  @HttpCode(204)
  @ApiProblems('validation_failed', 'not_found')
  async markRead(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<void> {
    // Visibility first: a referral the caller may not see is 404, and none of their rows change.
    await this.messages.markRead(principal, id);
    await this.notifications.markReferralRead(principal, id);
  }

  /**
   * Adds a PDF, PNG or JPEG (≤ 10 MB, recognised by content); multipart field `file`. To a draft: the sender side.
   * After sending, while open: either side, recorded on the timeline (`document_added`), the other side notified.
   * 201 when added; 200 with the attachment already there when the referral has this file (same content) already.
   * A referral holds at most 30 attachments and 100 MB of them together: past that, 413 naming `file`.
   */
  @Post(':id/attachments')
  @HttpCode(201)
  @ApiResponse({ status: 201, type: AttachmentDto, description: 'added' })
  @ApiResponse({ status: 200, type: AttachmentDto, description: 'this file (same content) was attached already' })
  @MultipartBody()
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiProblems('validation_failed', 'forbidden', 'not_found', 'payload_too_large', 'unsupported_media_type', 'invalid_transition')
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AttachmentDto> {
    // Reading the file and storing it happen in one slot: both hold the whole file in memory.
    const { attachment, created } = await this.uploadSlots.run(async () => {
      const { fileName, content } = await uploadedFile(request);
      return this.attachments.upload(principal, id, fileName, content);
    });
    if (!created) void reply.status(200);
    return attachment;
  }

  /**
   * Takes a file off a draft: the sender side, before sending. Once sent, what the referral carries is
   * frozen (422 `attachments_frozen`), documents added after sending included.
   */
  @Delete(':id/attachments/:attachmentId')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'removed' })
  @ApiProblems('validation_failed', 'forbidden', 'not_found', 'invalid_transition', 'attachments_frozen')
  async removeAttachment(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Param('attachmentId', uuidParam) attachmentId: string,
  ): Promise<void> {
    await this.attachments.remove(principal, id, attachmentId);
  }

  /** Downloads an attachment, named with the extension of its content. */
  @Get(':id/attachments/:attachmentId')
  @ApiResponse({
    status: 200,
    description: 'The file, with the content type it was stored with (a PDF or an image)',
    content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
    headers: { 'Content-Disposition': RESPONSE_HEADERS['Content-Disposition'] },
  })
  @ApiProblems('validation_failed', 'not_found')
  async download(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Param('attachmentId', uuidParam) attachmentId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const file = await this.attachments.download(principal, id, attachmentId);
    void reply
      .header('content-type', file.contentType)
      .header('content-length', file.sizeBytes)
      .header('content-disposition', contentDisposition(file.fileName))
      .header('cache-control', 'private, no-store');
    return new StreamableFile(file.content);
  }

  /**
   * A new join link for the referral's invitee (someone not on ReferLoop, not joined yet): the
   * previous link stops working; once the referral was sent, the new link is emailed. Sender side
   * only; answers the referral with the new `recipientInvite.url`. Like every action it takes the
   * version you read (body `version` or `If-Match`; 409 `stale_version`), so a double click makes one link.
   */
  @Post(':id/resend-invite')
  @HttpCode(200)
  @ApiIfMatch
  @ApiProblems('validation_failed', 'forbidden', 'not_found', 'invalid_transition', 'stale_version')
  async resendInvite(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() body: ResendInviteDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReferralResponseDto> {
    return withEtag(
      reply,
      await this.referrals.resendInvite(principal, id, { version: body?.version, ifMatch: parseIfMatch(ifMatch) }),
    );
  }

  /**
   * An admin hands their clinic's side of an open referral to another active practitioner of the
   * same role in their clinic (e.g. from a deactivated one). Appends a `reassigned` timeline event
   * (data: side, fromPractitionerId, toPractitionerId) and notifies the new owner, the other side and
   * the previous owner while they are active (their notice has no referralId: they no longer see it). 422
   * `recipient_type_mismatch` (the recipient side) or `sender_role_mismatch` (the sender side) for a
   * target of another role, `licence_expired`; 404 for a referral you cannot see, or a practitioner
   * outside your clinic, deactivated or not joined yet.
   */
  @Post(':id/reassign')
  @HttpCode(200)
  @ApiIfMatch
  @ApiProblems(
    'validation_failed',
    'forbidden',
    'not_found',
    'invalid_transition',
    'stale_version',
    'recipient_type_mismatch',
    'sender_role_mismatch',
    'licence_expired',
  )
  async reassign(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() body: ReassignReferralDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReferralResponseDto> {
    return withEtag(
      reply,
      await this.referrals.reassign(principal, id, {
        practitionerId: body.practitionerId,
        version: body.version,
        ifMatch: parseIfMatch(ifMatch),
      }),
    );
  }

  /**
   * The recipient of an `injury_care` referral that is in_care, outcome_sent or closed drafts a
   * `maintenance_massage` referral for the same person (`previousId` set): their clinic gets the
   * patient as its own (a copy linked to the referral, made once; record consent on it before sending).
   * The recipient defaults to the injury referral's sender when they are a massage therapist; `recipientInvite`
   * instead names one not on ReferLoop yet (invited when the referral is sent, as with a create). The plan
   * may be given now or before sending, and so may a create's priority (default routine), body regions
   * (default the injury referral's), pain level, dates, red flags and emergency advice: the whole form
   * makes one draft (201). Repeating the request while the draft is open changes it as given and
   * answers it with 200. 409
   * `invalid_transition` from another kind or state, 403 for the sender side, 404 for anyone else.
   */
  @Post(':id/follow-up')
  @HttpCode(201)
  @ApiResponse({ status: 201, type: ReferralResponseDto, description: 'the new follow-up draft' })
  @ApiResponse({ status: 200, type: ReferralResponseDto, description: 'the open follow-up draft, changed as the repeat names' })
  @ApiProblems(
    'validation_failed',
    'forbidden',
    'not_found',
    'invalid_transition',
    'recipient_type_mismatch',
    'sender_role_mismatch',
    'licence_expired',
    'recipient_not_accepting',
    'red_flags_require_urgent',
  )
  async followUp(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Body() body: FollowUpDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReferralResponseDto> {
    const { referral, created } = await this.followUps.followUp(principal, id, body);
    // The open draft a repeat answers was not created now (as POST /patients/import answers its copy).
    if (!created) void reply.status(200);
    return withEtag(reply, referral);
  }

  /**
   * A lifecycle action (see the state machine in GET /reference-data). Send the version you read
   * (body `version` or `If-Match`); 409 `stale_version` if it changed, 409 `invalid_transition`
   * (with `currentStatus` and `allowedActions`) if the action is not possible now, 403 if you are
   * not the party who takes it.
   */
  @Post(':id/:action')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: REFERRAL_ACTIONS })
  @ApiIfMatch
  @ApiProblems(
    'validation_failed',
    'forbidden',
    'not_found',
    'invalid_transition',
    'stale_version',
    'consent_required',
    'recipient_type_mismatch',
    'sender_role_mismatch',
    'licence_expired',
    'recipient_not_accepting',
    'emergency_advice_required',
  )
  async act(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Param('action') action: string,
    @Body() body: ReferralActionDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReferralResponseDto> {
    if (!isReferralAction(action)) throw new AppError('not_found', `There is no referral action "${action}"`);
    return withEtag(reply, await this.referrals.act(principal, id, action, body ?? {}, parseIfMatch(ifMatch)));
  }
}
