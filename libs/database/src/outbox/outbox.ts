import { sql, type Sql } from '../sql';

/**
 * The advisory lock an idle relay holds (exclusively, on its listening connection) while it waits
 * to be woken: the outbox trigger sends its NOTIFY only then (migration 1764258000000-OutboxWakeIdleRelay).
 */
export const OUTBOX_RELAY_LOCK = '7301453907';

export interface OutboxMessage {
  type: string;
  referralId?: string;
  referralEventId?: string;
  /** Ids and codes only: no names, reasons or observations (PHI) ever go to the queue. */
  payload?: Record<string, string | number | boolean | null>;
}

/**
 * One outbox row as a statement of the `sql` tag: on its own inside the caller's transaction, or as
 * a data-modifying CTE next to the change it announces.
 */
export function outboxRow(message: OutboxMessage): Sql {
  return sql`INSERT INTO outbox_events (type, referral_id, referral_event_id, payload)
             VALUES (${sql.param(message.type, 'text')}, ${sql.param(message.referralId ?? null, 'uuid')},
                     ${sql.param(message.referralEventId ?? null, 'uuid')}, ${sql.param(message.payload ?? {}, 'jsonb')})`;
}

/**
 * The same outbox row as {@link outboxRow}, as an `INSERT … SELECT` for a data-modifying CTE:
 * one row per row of `from`, whose columns `referralId` and `referralEventId` name the referral and
 * its event. The change, its event and its outbox row then commit as one statement.
 */
export function outboxInsert(
  from: Sql,
  columns: { referralId: Sql; referralEventId: Sql },
  message: Pick<OutboxMessage, 'type' | 'payload'>,
): Sql {
  return sql`INSERT INTO outbox_events (type, referral_id, referral_event_id, payload)
             SELECT ${sql.param(message.type, 'text')}, ${columns.referralId}, ${columns.referralEventId}, ${sql.param(message.payload ?? {}, 'jsonb')}
               FROM ${from}`;
}
