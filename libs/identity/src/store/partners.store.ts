import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { cursorTimestamp, queryRows, sql, type Sql } from '@referloop/database';
import { DataSource } from 'typeorm';
import type { ClinicScope } from '../tenancy/clinic-scope';

/** Whose partner list: the caller's own, or their clinic's (kept by its admins). */
export type PartnerList = 'mine' | 'clinic';

export interface PartnerRow {
  practitioner_id: string;
  created_at: Date;
  cursor_ts: string;
}

const CURSOR_TS = cursorTimestamp(sql`created_at`);

/** The table of a list and the condition that makes it the caller's (their user id, or their clinic). */
function list(scope: ClinicScope, which: PartnerList): { table: Sql; mine: Sql } {
  return which === 'mine'
    ? { table: sql`user_partners`, mine: sql`user_id = ${sql.param(scope.userId, 'uuid')}` }
    : { table: sql`clinic_partners`, mine: scope.owns(sql`clinic_id`) };
}

/** Every statement on user_partners and clinic_partners; each list is always the caller's own. */
@Injectable()
export class PartnersStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Newest first, `limit` rows after the keyset (created_at, practitioner id). */
  async page(scope: ClinicScope, which: PartnerList, page: { after?: [string, string]; limit: number }): Promise<PartnerRow[]> {
    const { table, mine } = list(scope, which);
    const after = page.after
      ? sql`AND (created_at, practitioner_id) < (${sql.param(page.after[0], 'timestamptz')}, ${sql.param(page.after[1], 'uuid')})`
      : sql.empty;
    return queryRows<PartnerRow>(
      this.db.manager,
      sql`SELECT practitioner_id, created_at, ${CURSOR_TS} AS cursor_ts FROM ${table}
           WHERE ${mine} ${after}
           ORDER BY created_at DESC, practitioner_id DESC LIMIT ${page.limit}`,
    );
  }

  /** Saves a partner (`created: false` when it was saved already); null if it vanished meanwhile. */
  async add(
    scope: ClinicScope,
    which: PartnerList,
    practitionerId: string,
    now: Date,
  ): Promise<{ createdAt: Date; created: boolean } | null> {
    const practitioner = sql.param(practitionerId, 'uuid');
    const at = sql.param(now, 'timestamptz');
    const [inserted] = await queryRows<{ created_at: Date }>(
      this.db.manager,
      which === 'mine'
        ? sql`INSERT INTO user_partners (user_id, practitioner_id, created_at)
              VALUES (${sql.param(scope.userId, 'uuid')}, ${practitioner}, ${at}) ON CONFLICT DO NOTHING RETURNING created_at`
        : sql`INSERT INTO clinic_partners (clinic_id, practitioner_id, added_by, created_at)
              VALUES (${sql.param(scope.clinicId, 'uuid')}, ${practitioner}, ${sql.param(scope.userId, 'uuid')}, ${at})
              ON CONFLICT DO NOTHING RETURNING created_at`,
    );
    if (inserted) return { createdAt: inserted.created_at, created: true };
    const { table, mine } = list(scope, which);
    const [existing] = await queryRows<{ created_at: Date }>(
      this.db.manager,
      sql`SELECT created_at FROM ${table} WHERE ${mine} AND practitioner_id = ${practitioner}`,
    );
    return existing ? { createdAt: existing.created_at, created: false } : null;
  }

  /** Removes a partner; false when it was not saved. */
  async remove(scope: ClinicScope, which: PartnerList, practitionerId: string): Promise<boolean> {
    const { table, mine } = list(scope, which);
    const deleted = await queryRows(
      this.db.manager,
      sql`DELETE FROM ${table} WHERE ${mine} AND practitioner_id = ${sql.param(practitionerId, 'uuid')} RETURNING practitioner_id`,
    );
    return deleted.length > 0;
  }
}
