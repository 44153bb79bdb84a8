import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppError, Clock, DEFAULT_PAGE_SIZE, decodeCursor, type Page, toPage, type Principal } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { ClinicScope } from '@referloop/identity';
import { assertWebhookTarget, WebhookTargetError } from './channels/webhook-target';
import {
  type FailedDeliveryRow,
  type Keyset,
  type NotificationRow,
  NotificationStore,
  type WebhookRow,
} from './store/notification.store';

export interface NotificationView {
  id: string;
  userId: string;
  type: string;
  referralId: string | null;
  title: string;
  body: string;
  readAt: string | null;
  createdAt: string;
}

export interface PreferencesView {
  /** In-app notifications are always on. */
  inApp: true;
  email: boolean;
  /** False when this deployment has no SMTP server configured. */
  emailAvailable: boolean;
}

export interface WebhookView {
  id: string;
  clinicId: string;
  url: string;
  eventTypes: string[];
  createdAt: string;
  /** Only in the answer to the create: keep it to verify signatures. */
  secret?: string;
}

export interface FailedDeliveryView {
  id: string;
  channel: string;
  notificationType: string;
  referralId: string | null;
  userId: string | null;
  webhookId: string | null;
  attempts: number;
  lastError: string | null;
  retryCount: number;
  createdAt: string;
  failedAt: string | null;
}

const toIso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * The API side of notifications: inbox, preferences, webhooks, failed deliveries. Never touches
 * the queue; its SQL is in NotificationStore, always with the caller's scope.
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly store: NotificationStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async inbox(
    principal: Principal,
    query: { unread?: boolean; cursor?: string; limit?: number },
  ): Promise<Page<NotificationView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? (decodeCursor(query.cursor, 'notifications', ['timestamp', 'uuid']) as Keyset) : null;
    const rows = await this.store.inbox(ClinicScope.of(principal), { unread: query.unread === true, after, limit });
    return toPage(rows, limit, notificationView, (row) => [row.cursor_ts, row.id], 'notifications');
  }

  unreadCount(principal: Principal): Promise<number> {
    return this.store.unreadCount(ClinicScope.of(principal));
  }

  /** Marks one of the caller's notifications read (idempotent); someone else's is 404. */
  async markRead(principal: Principal, id: string): Promise<NotificationView> {
    const row = await this.store.markRead(ClinicScope.of(principal), id, this.clock.now());
    if (!row) throw new AppError('not_found', 'The notification was not found');
    return notificationView(row);
  }

  /**
   * Marks the caller's notifications about a referral read: they have opened it, so its news is
   * no longer news. Only their own rows are touched; the caller checks that the referral is visible.
   */
  async markReferralRead(principal: Principal, referralId: string): Promise<void> {
    await this.store.markReferralRead(ClinicScope.of(principal), referralId, this.clock.now());
  }

  async preferences(principal: Principal): Promise<PreferencesView> {
    const email = await this.store.emailEnabled(ClinicScope.of(principal));
    return {
      inApp: true,
      email: email ?? true,
      emailAvailable: this.emailAvailable(),
    };
  }

  /**
   * `emailAvailable` is the deployment's, not the user's: it may be sent back as GET answered it,
   * and anything else is refused rather than silently kept as it was.
   */
  async setPreferences(principal: Principal, input: { email: boolean; emailAvailable?: boolean }): Promise<PreferencesView> {
    const available = this.emailAvailable();
    if (input.emailAvailable !== undefined && input.emailAvailable !== available) {
      throw AppError.validation([
        { field: 'emailAvailable', message: `is read only: this deployment ${available ? 'sends' : 'does not send'} email` },
      ]);
    }
    await this.store.setEmailEnabled(ClinicScope.of(principal), input.email, this.clock.now());
    return this.preferences(principal);
  }

  private emailAvailable(): boolean {
    return Boolean(this.config.notifications.smtpUrl) || this.config.notifications.trialMailbox;
  }

  async createWebhook(principal: Principal, input: { url: string; eventTypes: string[] }): Promise<WebhookView> {
    // The request's URL check (class-validator's isURL) lets through what the WHATWG parser, which
    // sends the deliveries, refuses (an IPv6 zone id: `https://[fe80::1%25eth0]/`).
    if (!URL.canParse(input.url)) throw AppError.validation([{ field: 'url', message: 'must be an http(s) URL' }]);
    // Kept as the parser writes it (scheme and host in lower case, an IPv4 host in dotted form), so an
    // address written another way is the same webhook, not a second subscription delivering twice.
    const url = new URL(input.url);
    try {
      await assertWebhookTarget(url, this.config.notifications.webhookAllowedHosts);
    } catch (error) {
      if (!(error instanceof WebhookTargetError)) throw error;
      throw AppError.validation([{ field: 'url', message: error.message }]);
    }
    const { secret, ...row } = await this.store.insertWebhookOnce(
      principal,
      { url: url.href, secret: `whsec_${randomBytes(24).toString('base64url')}`, eventTypes: [...new Set(input.eventTypes)] },
      this.clock.now(),
    );
    return { ...webhookView(row), secret };
  }

  async listWebhooks(principal: Principal): Promise<{ items: WebhookView[]; nextCursor: null }> {
    const rows = await this.store.webhooks(ClinicScope.of(principal));
    return { items: rows.map(webhookView), nextCursor: null };
  }

  async deleteWebhook(principal: Principal, id: string): Promise<void> {
    if (!(await this.store.deleteWebhook(principal, id, this.clock.now()))) {
      throw new AppError('not_found', 'The webhook was not found');
    }
  }

  async failedDeliveries(principal: Principal, query: { cursor?: string; limit?: number }): Promise<Page<FailedDeliveryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? (decodeCursor(query.cursor, 'failed-notifications', ['timestamp', 'uuid']) as Keyset) : null;
    const rows = await this.store.failedDeliveries(ClinicScope.of(principal), { after, limit });
    return toPage(rows, limit, failedView, (row) => [row.cursor_ts, row.id], 'failed-notifications');
  }

  /**
   * Sends a failed delivery again. Through the outbox like every other notification intent, so
   * it works (later) even while the queue is down.
   */
  async retry(principal: Principal, id: string): Promise<FailedDeliveryView> {
    const { retried, status } = await this.store.retryFailed(ClinicScope.of(principal), id);
    if (retried) return failedView(retried);
    if (!status) throw new AppError('not_found', 'The delivery was not found');
    throw new AppError('invalid_transition', `Only a failed delivery can be retried; this one is ${status}`, {
      currentStatus: status,
      allowedActions: [],
    });
  }
}

function notificationView(r: NotificationRow): NotificationView {
  return {
    id: r.id,
    userId: r.user_id,
    type: r.type,
    referralId: r.referral_id,
    title: r.title,
    body: r.body,
    readAt: toIso(r.read_at),
    createdAt: r.created_at.toISOString(),
  };
}

function webhookView(r: WebhookRow): WebhookView {
  return {
    id: r.id,
    clinicId: r.clinic_id,
    url: r.url,
    eventTypes: r.event_types,
    createdAt: r.created_at.toISOString(),
  };
}

function failedView(r: FailedDeliveryRow): FailedDeliveryView {
  return {
    id: r.id,
    channel: r.channel,
    notificationType: r.notification_type,
    referralId: r.referral_id,
    userId: r.user_id,
    webhookId: r.webhook_id,
    attempts: r.attempts,
    lastError: r.last_error,
    retryCount: r.retry_count,
    createdAt: r.created_at.toISOString(),
    failedAt: toIso(r.failed_at),
  };
}
