import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, type Principal } from '@referloop/common';
import { cursorTimestamp, outboxRow, queryRows, sql } from '@referloop/database';
import { AuditLog, ClinicScope } from '@referloop/identity';
import { DataSource } from 'typeorm';
import { RETRY_DELIVERY_EVENT } from '../notification-queue';

export interface NotificationRow {
  id: string;
  user_id: string;
  type: string;
  referral_id: string | null;
  title: string;
  body: string;
  read_at: Date | null;
  created_at: Date;
}

export interface WebhookRow {
  id: string;
  clinic_id: string;
  url: string;
  event_types: string[];
  created_at: Date;
}

export interface FailedDeliveryRow {
  id: string;
  channel: string;
  notification_type: string;
  referral_id: string | null;
  user_id: string | null;
  webhook_id: string | null;
  attempts: number;
  last_error: string | null;
  retry_count: number;
  created_at: Date;
  failed_at: Date | null;
}

/** A page's keyset position: the row's timestamp (microseconds, as text) and id. */
export type Keyset = [timestamp: string, id: string];

const NOTIFICATION_COLUMNS = sql`id, user_id, type, referral_id, title, body, read_at, created_at`;
const FAILED_COLUMNS = sql`id, channel, notification_type, referral_id, user_id, webhook_id, attempts, last_error, retry_count, created_at, failed_at`;
const cursorTs = (column: 'created_at' | 'failed_at') =>
  sql`${cursorTimestamp(sql.identifier(['created_at', 'failed_at'], column))} AS cursor_ts`;

/**
 * Live webhooks a clinic may have. Each event is sent to each of them: a clinic with a thousand
 * dead endpoints queued tens of thousands of retries and delayed other clinics' deliveries.
 */
export const MAX_WEBHOOKS_PER_CLINIC = 25;

/**
 * Every statement of the API side of notifications. A caller's own rows (their notifications and
 * preferences) are read by the scope's user; clinic-owned rows (webhooks, deliveries) by the
 * scope's clinic: no method can be called without the caller's scope (or the caller, whose scope it
 * makes).
 */
@Injectable()
export class NotificationStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditLog,
  ) {}

  /** The caller's notifications, newest first, `limit` + 1 rows (the extra one says there is more). */
  inbox(
    scope: ClinicScope,
    page: { unread: boolean; after: Keyset | null; limit: number },
  ): Promise<(NotificationRow & { cursor_ts: string })[]> {
    const unread = page.unread ? sql` AND read_at IS NULL` : sql.empty;
    const after = page.after
      ? sql` AND (created_at, id) < (${sql.param(page.after[0], 'timestamptz')}, ${sql.param(page.after[1], 'uuid')})`
      : sql.empty;
    return queryRows(
      this.db.manager,
      sql`SELECT ${NOTIFICATION_COLUMNS}, ${cursorTs('created_at')}
            FROM notifications WHERE user_id = ${sql.param(scope.userId, 'uuid')}${unread}${after}
           ORDER BY created_at DESC, id DESC LIMIT ${sql.param(page.limit + 1, 'int')}`,
      { prepare: true },
    );
  }

  async unreadCount(scope: ClinicScope): Promise<number> {
    const [row] = await queryRows<{ count: number }>(
      this.db.manager,
      sql`SELECT count(*)::int AS count FROM notifications WHERE user_id = ${sql.param(scope.userId, 'uuid')} AND read_at IS NULL`,
      { prepare: true },
    );
    return row.count;
  }

  /** Marks one of the caller's notifications read at `now` (the Clock's; idempotent); undefined when it is not theirs. */
  async markRead(scope: ClinicScope, id: string, now: Date): Promise<NotificationRow | undefined> {
    const [row] = await queryRows<NotificationRow>(
      this.db.manager,
      sql`UPDATE notifications SET read_at = COALESCE(read_at, ${sql.param(now, 'timestamptz')})
           WHERE id = ${sql.param(id, 'uuid')} AND user_id = ${sql.param(scope.userId, 'uuid')}
       RETURNING ${NOTIFICATION_COLUMNS}`,
    );
    return row;
  }

  /** Marks every unread notification of the caller about one referral read at `now`. */
  async markReferralRead(scope: ClinicScope, referralId: string, now: Date): Promise<void> {
    await queryRows(
      this.db.manager,
      sql`UPDATE notifications SET read_at = ${sql.param(now, 'timestamptz')}
           WHERE user_id = ${sql.param(scope.userId, 'uuid')} AND referral_id = ${sql.param(referralId, 'uuid')} AND read_at IS NULL`,
    );
  }

  /** The caller's email preference; undefined when never set (on by default). */
  async emailEnabled(scope: ClinicScope): Promise<boolean | undefined> {
    const [row] = await queryRows<{ enabled: boolean }>(
      this.db.manager,
      sql`SELECT enabled FROM notification_preferences WHERE user_id = ${sql.param(scope.userId, 'uuid')} AND channel = 'email'`,
    );
    return row?.enabled;
  }

  /** Sets the caller's email preference, changed at `now` (the Clock's). */
  async setEmailEnabled(scope: ClinicScope, enabled: boolean, now: Date): Promise<void> {
    await queryRows(
      this.db.manager,
      sql`INSERT INTO notification_preferences (user_id, channel, enabled, updated_at)
          VALUES (${sql.param(scope.userId, 'uuid')}, 'email', ${enabled}, ${sql.param(now, 'timestamptz')})
          ON CONFLICT (user_id, channel) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at`,
    );
  }

  /**
   * A new webhook of the clinic, unless it has a live one with the same URL and event types (a
   * double click, a retry): that one is answered, with its secret. 422 `webhook_limit_reached` when
   * it has MAX_WEBHOOKS_PER_CLINIC live ones. The clinic's creates take turns on a transaction lock,
   * so the second sees the first's row. A new one is audited (`webhook.create`, its events; not its
   * URL, which may carry the receiver's own credentials) in the same statement.
   */
  async insertWebhookOnce(
    by: Principal,
    webhook: { url: string; secret: string; eventTypes: string[] },
    now: Date,
  ): Promise<WebhookRow & { secret: string }> {
    const scope = ClinicScope.of(by);
    const clinic = sql.param(scope.clinicId, 'uuid');
    const types = sql.param(webhook.eventTypes, 'text[]');
    return this.db.transaction(async (tx) => {
      // One clinic's creates in turn: a double click finds the first, and the count below holds.
      await queryRows(tx, sql`SELECT pg_advisory_xact_lock(hashtextextended('webhooks ' || ${clinic}::text, 0))`);
      const [existing] = await queryRows<WebhookRow & { secret: string }>(
        tx,
        sql`SELECT id, clinic_id, url, event_types, created_at, secret FROM webhooks
             WHERE clinic_id = ${clinic} AND url = ${webhook.url} AND deleted_at IS NULL
               AND event_types @> ${types} AND event_types <@ ${types}
             ORDER BY created_at LIMIT 1`,
      );
      if (existing) return existing;
      const [{ live }] = await queryRows<{ live: number }>(
        tx,
        sql`SELECT count(*)::int AS live FROM webhooks WHERE clinic_id = ${clinic} AND deleted_at IS NULL`,
      );
      if (live >= MAX_WEBHOOKS_PER_CLINIC) {
        throw new AppError('webhook_limit_reached', `A clinic has at most ${MAX_WEBHOOKS_PER_CLINIC} webhooks: delete one first`);
      }
      const audit = this.audit.insert(
        { by, action: 'webhook.create', resourceType: 'webhook', details: { eventTypes: webhook.eventTypes } },
        sql`hook`,
        sql`id`,
        now,
      );
      const [row] = await queryRows<WebhookRow & { secret: string }>(
        tx,
        sql`WITH hook AS (
              INSERT INTO webhooks (clinic_id, url, secret, event_types, created_by)
              VALUES (${clinic}, ${webhook.url}, ${webhook.secret}, ${types}, ${sql.param(scope.userId, 'uuid')})
              RETURNING id, clinic_id, url, event_types, created_at, secret
            ), audit AS (${audit})
            SELECT * FROM hook`,
      );
      return row;
    });
  }

  webhooks(scope: ClinicScope): Promise<WebhookRow[]> {
    return queryRows(
      this.db.manager,
      sql`SELECT id, clinic_id, url, event_types, created_at FROM webhooks
           WHERE ${scope.owns(sql`clinic_id`)} AND deleted_at IS NULL ORDER BY created_at, id`,
    );
  }

  /**
   * Answers whether a live webhook of the clinic was deleted (at `now`, the Clock's). Its failed
   * deliveries leave the failed list in the same statement (skipped: there is nowhere to retry them
   * to), and the deletion is audited (`webhook.delete`).
   */
  async deleteWebhook(by: Principal, id: string, now: Date): Promise<boolean> {
    const scope = ClinicScope.of(by);
    const rows = await queryRows(
      this.db.manager,
      sql`WITH deleted AS (
            UPDATE webhooks SET deleted_at = ${sql.param(now, 'timestamptz')}
             WHERE id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`clinic_id`)} AND deleted_at IS NULL RETURNING id
          ), dropped AS (
            UPDATE notification_deliveries d SET status = 'skipped', last_error = 'webhook deleted'
              FROM deleted WHERE d.webhook_id = deleted.id AND d.status = 'failed'
          ), audit AS (${this.audit.insert({ by, action: 'webhook.delete', resourceType: 'webhook' }, sql`deleted`, sql`id`, now)})
          SELECT id FROM deleted`,
    );
    return rows.length > 0;
  }

  /** The clinic's failed deliveries, most recently failed first, `limit` + 1 rows. */
  failedDeliveries(
    scope: ClinicScope,
    page: { after: Keyset | null; limit: number },
  ): Promise<(FailedDeliveryRow & { cursor_ts: string })[]> {
    const after = page.after
      ? sql` AND (failed_at, id) < (${sql.param(page.after[0], 'timestamptz')}, ${sql.param(page.after[1], 'uuid')})`
      : sql.empty;
    return queryRows(
      this.db.manager,
      sql`SELECT ${FAILED_COLUMNS}, ${cursorTs('failed_at')}
            FROM notification_deliveries
           WHERE ${scope.owns(sql`clinic_id`)} AND status = 'failed'${after}
           ORDER BY failed_at DESC, id DESC LIMIT ${sql.param(page.limit + 1, 'int')}`,
    );
  }

  /**
   * Puts a failed delivery of the clinic back to pending and, in the same transaction, writes the
   * outbox row that re-enqueues it. `retried` is undefined when it is not failed (then `status`
   * says what it is; undefined too when the clinic has no such delivery).
   */
  retryFailed(scope: ClinicScope, id: string): Promise<{ retried?: FailedDeliveryRow; status?: string }> {
    return this.db.transaction(async (tx) => {
      const [retried] = await queryRows<FailedDeliveryRow>(
        tx,
        sql`UPDATE notification_deliveries
               SET status = 'pending', attempts = 0, failed_at = NULL, retry_count = retry_count + 1
             WHERE id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`clinic_id`)} AND status = 'failed'
         RETURNING ${FAILED_COLUMNS}`,
      );
      if (retried) {
        await queryRows(tx, outboxRow({ type: RETRY_DELIVERY_EVENT, payload: { deliveryId: id } }));
        return { retried };
      }
      const [current] = await queryRows<{ status: string }>(
        tx,
        sql`SELECT status FROM notification_deliveries WHERE id = ${sql.param(id, 'uuid')} AND ${scope.owns(sql`clinic_id`)}`,
      );
      return { status: current?.status };
    });
  }
}
