import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, type Page, type Principal } from '@referloop/common';
import { outboxInsertSql, queryRows, SqlParams } from '@referloop/database';
import { AuditLog } from '@referloop/identity';
import { DataSource } from 'typeorm';
import { partiesOfRow, partyClinicsOf } from './referral-access';
import { ReferralsService } from './referrals.service';
import { allowedActions, type Party, type ReferralStatus } from './state-machine/referral-state-machine';

/** One message of a referral's conversation (a timeline event of type `message`). */
export interface ReferralMessageView {
  id: string;
  referralId: string;
  authorId: string;
  body: string;
  createdAt: string;
}

interface MessageRow {
  id: string;
  referral_id: string;
  actor_id: string;
  note: string;
  occurred_at: string;
}

const PREPARED = { prepare: true };

function messageView(row: MessageRow): ReferralMessageView {
  return {
    id: row.id,
    referralId: row.referral_id,
    authorId: row.actor_id,
    body: row.note,
    createdAt: new Date(row.occurred_at).toISOString(),
  };
}

/**
 * The conversation between the two sides of a referral once it was sent. A message is a timeline
 * event (`message`, its text in `note`), so it shows on the timeline too; posting one notifies the
 * other side through the outbox (the texts name clinics only).
 */
@Injectable()
export class ReferralMessagesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly referrals: ReferralsService,
    private readonly audit: AuditLog,
  ) {}

  /** Oldest first, keyset-paged on (occurredAt, id). */
  async list(principal: Principal, id: string, query: { cursor?: string; limit?: number }): Promise<Page<ReferralMessageView>> {
    const base = await this.referrals.visibleBase(principal, id, this.db.manager, 'referral.read_messages');
    this.assertSent(base.sent_at, base.status, partiesOfRow(principal, base));
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const params = new SqlParams();
    const filters = [`referral_id = ${params.add(id, 'uuid')}`, `type = 'message'`];
    if (query.cursor) {
      const [ts, after] = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      filters.push(`(occurred_at, id) > (${params.add(ts, 'timestamptz')}, ${params.add(after, 'uuid')})`);
    }
    const rows = await queryRows<MessageRow & { cursor_ts: string }>(
      this.db.manager,
      `SELECT id, referral_id, actor_id, note, occurred_at::text AS occurred_at,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM referral_events WHERE ${filters.join(' AND ')}
        ORDER BY occurred_at, id LIMIT ${params.add(limit + 1, 'int')}`,
      params.values,
      PREPARED,
    );
    const page = rows.slice(0, limit);
    await this.audit.record({
      action: 'referral.read_messages',
      resourceType: 'referral',
      resourceId: id,
      partyClinics: partyClinicsOf(base),
    });
    const last = page[page.length - 1];
    return {
      items: page.map(messageView),
      nextCursor: rows.length > limit && last ? encodeCursor([last.cursor_ts, last.id]) : null,
    };
  }

  /**
   * Appends a message. The referral's `updated_at` moves (it rises in the lists) but not its version:
   * a message does not change what an action acts on. Event, outbox and audit rows are one statement.
   */
  async post(principal: Principal, id: string, body: string): Promise<ReferralMessageView> {
    const base = await this.referrals.visibleBase(principal, id, this.db.manager, 'referral.message');
    this.assertSent(base.sent_at, base.status, partiesOfRow(principal, base));
    const params = new SqlParams();
    const actor = params.add(principal.userId, 'uuid');
    const sql = `WITH changed AS (
        UPDATE referrals SET updated_at = now() WHERE id = ${params.add(id, 'uuid')} AND sent_at IS NOT NULL RETURNING id, status
      ),
      event AS (
        INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, note)
        SELECT id, 'message', status, status, ${actor}, ${params.add(body, 'text')} FROM changed
        RETURNING *
      ),
      outbox AS (${outboxInsertSql(
        'event',
        { referralIdColumn: 'referral_id', referralEventIdColumn: 'id' },
        // The statuses let the dispatcher see the referral was sent (a message never changes them).
        { type: 'referral.message', payload: { fromStatus: base.status, toStatus: base.status, actorId: principal.userId } },
        params,
      )}),
      audit AS (${this.audit.insertSql({ action: 'referral.message', resourceType: 'referral' }, 'changed', 'id', params)})
      SELECT id, referral_id, actor_id, note, occurred_at::text AS occurred_at FROM event`;
    const [row] = await queryRows<MessageRow>(this.db.manager, sql, params.values, PREPARED);
    if (!row) throw new AppError('not_found', 'The referral was not found');
    return messageView(row);
  }

  /** Marks everything that happened on the referral so far as read by the caller (a marker that only moves forward). */
  async markRead(principal: Principal, id: string): Promise<void> {
    const base = await this.referrals.visibleBase(principal, id, this.db.manager, 'referral.mark_read');
    await this.db.query(
      `INSERT INTO referral_reads (user_id, referral_id, read_at) VALUES ($1, $2, clock_timestamp())
       ON CONFLICT (user_id, referral_id) DO UPDATE SET read_at = GREATEST(referral_reads.read_at, EXCLUDED.read_at)`,
      [principal.userId, base.id],
    );
  }

  /** A draft has no conversation: only its sender side can see it, and it answers what it may do instead. */
  private assertSent(sentAt: Date | null, status: ReferralStatus, parties: Party[]): void {
    if (sentAt !== null) return;
    throw new AppError('invalid_transition', 'Messages start once the referral is sent', {
      currentStatus: status,
      allowedActions: allowedActions(status, parties),
    });
  }
}
