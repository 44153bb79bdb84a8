import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, type Page, type Principal } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { appendOutbox, queryRows } from '@referloop/database';
import { DataSource } from 'typeorm';
import { assertWebhookTarget, WebhookTargetError } from './channels/webhook-target';
import { RETRY_DELIVERY_EVENT } from './notification-queue';

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

/** The API side of notifications: inbox, preferences, webhooks, failed deliveries. Never touches the queue. */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async inbox(
    principal: Principal,
    query: { unread?: boolean; cursor?: string; limit?: number },
  ): Promise<Page<NotificationView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const params: unknown[] = [principal.userId, limit + 1];
    let where = 'user_id = $1';
    if (query.unread) where += ' AND read_at IS NULL';
    if (query.cursor) {
      const [ts, id] = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      params.push(ts, id);
      where += ` AND (created_at, id) < ($3::timestamptz, $4::uuid)`;
    }
    const rows: (Record<string, unknown> & { cursor_ts: string; id: string })[] = await this.db.query(
      `SELECT id, user_id, type, referral_id, title, body, read_at, created_at,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM notifications WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(notificationView),
      nextCursor: rows.length > limit && last ? encodeCursor([last.cursor_ts, last.id]) : null,
    };
  }

  async unreadCount(principal: Principal): Promise<number> {
    const [row]: { count: number }[] = await this.db.query(
      `SELECT count(*)::int AS count FROM notifications WHERE user_id = $1 AND read_at IS NULL`,
      [principal.userId],
    );
    return row.count;
  }

  /** Marks one of the caller's notifications read (idempotent); someone else's is 404. */
  async markRead(principal: Principal, id: string): Promise<NotificationView> {
    const [row] = await queryRows<Record<string, unknown>>(
      this.db.manager,
      `UPDATE notifications SET read_at = COALESCE(read_at, now()) WHERE id = $1 AND user_id = $2
       RETURNING id, user_id, type, referral_id, title, body, read_at, created_at`,
      [id, principal.userId],
    );
    if (!row) throw new AppError('not_found', 'The notification was not found');
    return notificationView(row);
  }

  async preferences(principal: Principal): Promise<PreferencesView> {
    const [pref]: { enabled: boolean }[] = await this.db.query(
      `SELECT enabled FROM notification_preferences WHERE user_id = $1 AND channel = 'email'`,
      [principal.userId],
    );
    return {
      inApp: true,
      email: pref?.enabled ?? true,
      emailAvailable: Boolean(this.config.notifications.smtpUrl) || this.config.notifications.trialMailbox,
    };
  }

  async setPreferences(principal: Principal, input: { email: boolean }): Promise<PreferencesView> {
    await this.db.query(
      `INSERT INTO notification_preferences (user_id, channel, enabled) VALUES ($1, 'email', $2)
       ON CONFLICT (user_id, channel) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()`,
      [principal.userId, input.email],
    );
    return this.preferences(principal);
  }

  async createWebhook(principal: Principal, input: { url: string; eventTypes: string[] }): Promise<WebhookView> {
    try {
      await assertWebhookTarget(new URL(input.url), this.config.notifications.webhookAllowedHosts);
    } catch (error) {
      if (!(error instanceof WebhookTargetError)) throw error;
      throw AppError.validation([{ field: 'url', message: error.message }]);
    }
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const [row]: Record<string, unknown>[] = await this.db.query(
      `INSERT INTO webhooks (clinic_id, url, secret, event_types, created_by) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, clinic_id, url, event_types, created_at`,
      [principal.clinicId, input.url, secret, [...new Set(input.eventTypes)], principal.userId],
    );
    return { ...webhookView(row), secret };
  }

  async listWebhooks(principal: Principal): Promise<{ items: WebhookView[]; nextCursor: null }> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT id, clinic_id, url, event_types, created_at FROM webhooks WHERE clinic_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
      [principal.clinicId],
    );
    return { items: rows.map(webhookView), nextCursor: null };
  }

  async deleteWebhook(principal: Principal, id: string): Promise<void> {
    const rows = await queryRows(
      this.db.manager,
      `UPDATE webhooks SET deleted_at = now() WHERE id = $1 AND clinic_id = $2 AND deleted_at IS NULL RETURNING id`,
      [id, principal.clinicId],
    );
    if (rows.length === 0) throw new AppError('not_found', 'The webhook was not found');
  }

  async failedDeliveries(principal: Principal, query: { cursor?: string; limit?: number }): Promise<Page<FailedDeliveryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const params: unknown[] = [principal.clinicId, limit + 1];
    let cursorFilter = '';
    if (query.cursor) {
      const [ts, id] = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      params.push(ts, id);
      cursorFilter = ` AND (failed_at, id) < ($3::timestamptz, $4::uuid)`;
    }
    const rows: (Record<string, unknown> & { cursor_ts: string; id: string })[] = await this.db.query(
      `SELECT id, channel, notification_type, referral_id, user_id, webhook_id, attempts, last_error, retry_count, created_at, failed_at,
              to_char(failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM notification_deliveries
        WHERE clinic_id = $1 AND status = 'failed'${cursorFilter}
        ORDER BY failed_at DESC, id DESC LIMIT $2`,
      params,
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(failedView),
      nextCursor: rows.length > limit && last ? encodeCursor([last.cursor_ts, last.id]) : null,
    };
  }

  /**
   * Sends a failed delivery again. Through the outbox like every other notification intent, so
   * it works (later) even while the queue is down.
   */
  async retry(principal: Principal, id: string): Promise<FailedDeliveryView> {
    return this.db.transaction(async (tx) => {
      const [row] = await queryRows<Record<string, unknown>>(
        tx,
        `UPDATE notification_deliveries
            SET status = 'pending', attempts = 0, failed_at = NULL, retry_count = retry_count + 1
          WHERE id = $1 AND clinic_id = $2 AND status = 'failed'
        RETURNING id, channel, notification_type, referral_id, user_id, webhook_id, attempts, last_error, retry_count, created_at, failed_at`,
        [id, principal.clinicId],
      );
      if (!row) {
        const [current]: { status: string }[] = await tx.query(
          `SELECT status FROM notification_deliveries WHERE id = $1 AND clinic_id = $2`,
          [id, principal.clinicId],
        );
        if (!current) throw new AppError('not_found', 'The delivery was not found');
        throw new AppError('invalid_transition', `Only a failed delivery can be retried; this one is ${current.status}`, {
          currentStatus: current.status,
          allowedActions: [],
        });
      }
      await appendOutbox(tx, { type: RETRY_DELIVERY_EVENT, payload: { deliveryId: id } });
      return failedView(row);
    });
  }
}

function notificationView(r: Record<string, unknown>): NotificationView {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    type: r.type as string,
    referralId: r.referral_id as string | null,
    title: r.title as string,
    body: r.body as string,
    readAt: toIso(r.read_at as Date | null),
    createdAt: (r.created_at as Date).toISOString(),
  };
}

function webhookView(r: Record<string, unknown>): WebhookView {
  return {
    id: r.id as string,
    clinicId: r.clinic_id as string,
    url: r.url as string,
    eventTypes: r.event_types as string[],
    createdAt: (r.created_at as Date).toISOString(),
  };
}

function failedView(r: Record<string, unknown>): FailedDeliveryView {
  return {
    id: r.id as string,
    channel: r.channel as string,
    notificationType: r.notification_type as string,
    referralId: r.referral_id as string | null,
    userId: r.user_id as string | null,
    webhookId: r.webhook_id as string | null,
    attempts: r.attempts as number,
    lastError: r.last_error as string | null,
    retryCount: r.retry_count as number,
    createdAt: (r.created_at as Date).toISOString(),
    failedAt: toIso(r.failed_at as Date | null),
  };
}
