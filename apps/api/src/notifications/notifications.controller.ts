import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { emailPreviews, NotificationsService } from '@referloop/notifications';
import { CurrentPrincipal, AdminOnly } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { PageQueryDto } from '../http/page-query.dto';
import { uuidParam } from '../http/uuid-param';
import {
  CreateWebhookDto,
  EmailPreviewListDto,
  FailedDeliveryDto,
  FailedDeliveryPageDto,
  InboxQueryDto,
  NotificationDto,
  NotificationPageDto,
  PreferencesDto,
  UpdatePreferencesDto,
  WebhookDto,
  WebhookListDto,
} from './notification.dto';

@ApiTags('notifications')
@ApiBearerAuth()
@ApiProblems('unauthenticated')
@Controller()
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Your in-app inbox, newest first. */
  @Get('notifications')
  @ApiProblems('validation_failed')
  async inbox(@CurrentPrincipal() principal: Principal, @Query() query: InboxQueryDto): Promise<NotificationPageDto> {
    const [page, unreadCount] = await Promise.all([
      this.notifications.inbox(principal, query),
      this.notifications.unreadCount(principal),
    ]);
    return { ...page, unreadCount };
  }

  /** Marks one of your notifications read. */
  @Post('notifications/:id/read')
  @HttpCode(200)
  @ApiProblems('validation_failed', 'not_found')
  read(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<NotificationDto> {
    return this.notifications.markRead(principal, id);
  }

  /** Your notification channels: in-app (always on) and email. */
  @Get('me/notification-preferences')
  preferences(@CurrentPrincipal() principal: Principal): Promise<PreferencesDto> {
    return this.notifications.preferences(principal);
  }

  /** Turns your email notifications on or off. */
  @Put('me/notification-preferences')
  @ApiProblems('validation_failed')
  setPreferences(@CurrentPrincipal() principal: Principal, @Body() body: UpdatePreferencesDto): Promise<PreferencesDto> {
    return this.notifications.setPreferences(principal, body);
  }

  /**
   * A clinic webhook; deliveries are signed (HMAC-SHA256 over `<timestamp>.<raw body>`). A clinic has
   * at most 25 (422 `webhook_limit_reached`: delete one first).
   */
  @Post('webhooks')
  @HttpCode(201)
  @AdminOnly()
  @ApiProblems('validation_failed', 'forbidden', 'webhook_limit_reached')
  createWebhook(@CurrentPrincipal() principal: Principal, @Body() body: CreateWebhookDto): Promise<WebhookDto> {
    return this.notifications.createWebhook(principal, body);
  }

  /** Your clinic's webhooks (clinic admins). A webhook's secret is shown only when it is created. */
  @Get('webhooks')
  @AdminOnly()
  @ApiProblems('forbidden')
  listWebhooks(@CurrentPrincipal() principal: Principal): Promise<WebhookListDto> {
    return this.notifications.listWebhooks(principal);
  }

  /** Removes a webhook: nothing more is sent to it (clinic admins). */
  @Delete('webhooks/:id')
  @HttpCode(204)
  @AdminOnly()
  @ApiProblems('validation_failed', 'forbidden', 'not_found')
  async deleteWebhook(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<void> {
    await this.notifications.deleteWebhook(principal, id);
  }

  /** Email and webhook deliveries of your clinic that failed after the last attempt. */
  @Get('admin/notifications/failed')
  @AdminOnly()
  @ApiProblems('validation_failed', 'forbidden')
  failed(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<FailedDeliveryPageDto> {
    return this.notifications.failedDeliveries(principal, query);
  }

  /**
   * Every email ReferLoop sends, rendered with sample data (subject, text and HTML), with who gets it
   * and on which channels: the same text functions the worker uses.
   */
  @Get('admin/notifications/preview')
  @AdminOnly()
  @ApiProblems('forbidden')
  preview(): EmailPreviewListDto {
    return { items: emailPreviews(this.config.publicUrl), nextCursor: null };
  }

  /** Sends a failed delivery again (accepted now, delivered by the worker). */
  @Post('admin/notifications/:id/retry')
  @HttpCode(202)
  @AdminOnly()
  @ApiProblems('validation_failed', 'forbidden', 'not_found', 'invalid_transition')
  retry(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<FailedDeliveryDto> {
    return this.notifications.retry(principal, id);
  }
}
