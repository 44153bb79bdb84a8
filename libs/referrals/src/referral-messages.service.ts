import { Injectable } from '@nestjs/common';
import {
  AppError,
  Clock,
  DEFAULT_PAGE_SIZE,
  decodeTimestampKeyset,
  notFound,
  type Page,
  type Principal,
  toPage,
} from '@referloop/common';
import { AuditLog } from '@referloop/identity';
import type { EntityManager } from 'typeorm';
import { partiesOf, partyClinicsOf } from './referral-access';
import { ReferralsService } from './referrals.service';
import { allowedActions, type Party, type ReferralStatus } from './state-machine/referral-state-machine';
import { type MessageRow, ReferralActivityStore } from './store/activity-store';
import { ReferralStore } from './store/referral-store';

/** One message of a referral's conversation (a timeline event of type `message`). */
export interface ReferralMessageView {
  id: string;
  referralId: string;
  authorId: string;
  /** The author's name as they are named now (also someone the referral was reassigned from, or an admin). */
  authorName: string | null;
  body: string;
  createdAt: string;
}

function messageView(row: MessageRow): ReferralMessageView {
  return {
    id: row.id,
    referralId: row.referralId,
    authorId: row.actorId,
    authorName: row.actorName,
    body: row.note,
    createdAt: new Date(row.occurredAt).toISOString(),
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
    private readonly store: ReferralActivityStore,
    private readonly referralStore: ReferralStore,
    private readonly referrals: ReferralsService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** Oldest first, keyset-paged on (occurredAt, id). */
  async list(principal: Principal, id: string, query: { cursor?: string; limit?: number }): Promise<Page<ReferralMessageView>> {
    const base = await this.referrals.visibleBase(principal, id, this.referralStore.manager, 'referral.read_messages');
    this.assertSent(base.sentAt, base.status, partiesOf(principal, base));
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.store.messages(id, decodeTimestampKeyset(query.cursor, messagesList(base.id)), limit);
    await this.audit.record({
      by: principal,
      action: 'referral.read_messages',
      resourceType: 'referral',
      resourceId: id,
      partyClinics: partyClinicsOf(base),
    });
    return toPage(rows, limit, messageView, (row) => [row.cursorTs, row.id], messagesList(base.id));
  }

  /**
   * Appends a message. The referral's `updated_at` moves (it rises in the lists) but not its version:
   * a message does not change what an action acts on. Event, outbox and audit rows are one statement.
   * `tx`: the transaction of an Idempotency-Key, which the message commits with.
   */
  async post(principal: Principal, id: string, body: string, tx?: EntityManager): Promise<ReferralMessageView> {
    const manager = tx ?? this.referralStore.manager;
    const base = await this.referrals.visibleBase(principal, id, manager, 'referral.message');
    this.assertSent(base.sentAt, base.status, partiesOf(principal, base));
    const row = await this.store.postMessage(manager, id, base.status, principal, body, this.clock.now());
    if (!row) throw notFound('referral');
    return messageView(row);
  }

  /** Marks everything recorded on the referral so far as read by the caller (a marker that only moves forward). */
  async markRead(principal: Principal, id: string): Promise<void> {
    const base = await this.referrals.visibleBase(principal, id, this.referralStore.manager, 'referral.mark_read');
    await this.store.markRead(principal.userId, base.id);
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

/** A conversation's cursors name their referral: one of another referral's is refused, not read as a position here. */
const messagesList = (referralId: string) => `messages:${referralId}`;
