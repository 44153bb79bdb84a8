import type { EntityManager } from 'typeorm';

export interface OutboxMessage {
  type: string;
  referralId?: string;
  referralEventId?: string;
  /** Ids and codes only: no names, reasons or observations (PHI) ever go to the queue. */
  payload?: Record<string, string | number | boolean | null>;
}

/** Appends an outbox row inside the caller's transaction. */
export async function appendOutbox(manager: EntityManager, message: OutboxMessage): Promise<void> {
  await manager.query(`INSERT INTO outbox_events (type, referral_id, referral_event_id, payload) VALUES ($1, $2, $3, $4)`, [
    message.type,
    message.referralId ?? null,
    message.referralEventId ?? null,
    message.payload ?? {},
  ]);
}
