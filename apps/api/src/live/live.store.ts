import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { queryRows, sql } from '@referloop/database';
import { isClinicAdmin, type Principal, type Role } from '@referloop/common';
import { DataSource } from 'typeorm';

/** A row of `live_events` as the hub uses it (the id as a number: identities stay far below 2^53). */
export interface LiveEventRow {
  id: number;
  type: 'referral.updated' | 'notification.created' | 'message.created';
  referralId: string | null;
  version: number | null;
  status: string | null;
  notificationId: string | null;
  userIds: string[];
  clinicIds: string[];
}

/** What one read saw: the rows after the cursor, and the snapshot they were read in. */
export interface LiveRead {
  rows: LiveEventRow[];
  /** The oldest transaction id still running when the rows were read (xid8, as a bigint). */
  xmin: bigint;
  /** The first transaction id not yet assigned when the rows were read. */
  xmax: bigint;
}

/** A live session's current rights, re-read at each heartbeat. */
export interface LiveSessionRow {
  sessionId: string;
  clinicId: string;
  role: Role;
  isAdmin: boolean;
}

interface DbRow {
  id: string;
  type: LiveEventRow['type'];
  referral_id: string | null;
  version: number | null;
  status: string | null;
  notification_id: string | null;
  user_ids: string[];
  clinic_ids: string[];
}

const PREPARED = { prepare: true };
const COLUMNS = sql`e.id::text AS id, e.type, e.referral_id, e.version, e.status, e.notification_id,
                    e.user_ids::text[] AS user_ids, e.clinic_ids::text[] AS clinic_ids`;

function liveRow(row: DbRow): LiveEventRow {
  return {
    id: Number(row.id),
    type: row.type,
    referralId: row.referral_id,
    version: row.version,
    status: row.status,
    notificationId: row.notification_id,
    userIds: row.user_ids,
    clinicIds: row.clinic_ids,
  };
}

/** Every SQL statement of the live updates: reading and pruning `live_events`, and the heartbeat's session check. */
@Injectable()
export class LiveStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The newest id (0 when empty): where a starting process begins. */
  async newestId(): Promise<number> {
    const [row] = await queryRows<{ id: string }>(this.db.manager, sql`SELECT coalesce(max(id), 0)::text AS id FROM live_events`);
    return Number(row.id);
  }

  /**
   * Up to `limit` rows after `after`, in id order, with the bounds of the snapshot that read them
   * (pg_current_snapshot() is the statement's own snapshot), so the caller can tell a row still being
   * written from one that never will be.
   */
  async after(after: number, limit: number): Promise<LiveRead> {
    const rows = await queryRows<DbRow & { xmin: string; xmax: string }>(
      this.db.manager,
      sql`SELECT s.xmin::text AS xmin, s.xmax::text AS xmax, ${COLUMNS}
            FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin, pg_snapshot_xmax(pg_current_snapshot()) AS xmax) s
            LEFT JOIN LATERAL (SELECT * FROM live_events WHERE id > ${sql.param(after, 'bigint')} ORDER BY id LIMIT ${sql.param(limit, 'int')}) e
              ON true
           ORDER BY e.id`,
      PREPARED,
    );
    return {
      xmin: BigInt(rows[0].xmin),
      xmax: BigInt(rows[0].xmax),
      rows: rows.filter((row) => row.id !== null).map(liveRow),
    };
  }

  /**
   * The rows a resuming stream of `principal` missed and may hear of (as `mayHear` decides for live
   * rows): after `after`, up to and including `upTo`.
   */
  async between(principal: Principal, after: number, upTo: number): Promise<LiveEventRow[]> {
    const rows = await queryRows<DbRow>(
      this.db.manager,
      sql`SELECT ${COLUMNS} FROM live_events e
           WHERE e.id > ${sql.param(after, 'bigint')} AND e.id <= ${sql.param(upTo, 'bigint')}
             AND (${sql.param(principal.userId, 'uuid')} = ANY(e.user_ids)
                  OR (${sql.param(isClinicAdmin(principal), 'boolean')} AND ${sql.param(principal.clinicId, 'uuid')} = ANY(e.clinic_ids)))
           ORDER BY e.id`,
      PREPARED,
    );
    return rows.map(liveRow);
  }

  /** Drops the rows written before `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const rows = await queryRows<{ id: string }>(
      this.db.manager,
      sql`DELETE FROM live_events WHERE created_at < ${sql.param(before, 'timestamptz')} RETURNING id::text AS id`,
    );
    return rows.length;
  }

  /** Of `sessionIds`, those still alive (not revoked, started after `startedAfter`, user active), with the user's current rights. */
  async liveSessions(sessionIds: string[], startedAfter: Date): Promise<LiveSessionRow[]> {
    if (sessionIds.length === 0) return [];
    const rows = await queryRows<{ session_id: string; clinic_id: string; role: Role; is_admin: boolean }>(
      this.db.manager,
      sql`SELECT s.id AS session_id, u.clinic_id, u.role, u.is_admin
            FROM auth_sessions s JOIN users u ON u.id = s.user_id
           WHERE s.id = ANY(${sql.param(sessionIds, 'uuid[]')}) AND s.revoked_at IS NULL
             AND s.created_at > ${sql.param(startedAfter, 'timestamptz')} AND u.deactivated_at IS NULL`,
    );
    return rows.map((row) => ({ sessionId: row.session_id, clinicId: row.clinic_id, role: row.role, isAdmin: row.is_admin }));
  }
}
