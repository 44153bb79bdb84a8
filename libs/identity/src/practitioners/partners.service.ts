import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  AppError,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  notFound,
  type Page,
  PRACTITIONER_ROLES,
  type Principal,
  toPage,
} from '@referloop/common';
import { queryRows } from '@referloop/database';
import { DataSource } from 'typeorm';
import type { UserView } from '../views';
import { PractitionersService } from './practitioners.service';

export interface PartnerView {
  practitionerId: string;
  createdAt: string;
  /** Null when the practitioner is no longer listed in the directory (e.g. their licence expired): remove them. */
  practitioner: UserView | null;
}

/** Whose partner list: the caller's own, or their clinic's (kept by its admins). */
export type PartnerList = 'mine' | 'clinic';

/** Table and owner column of each list; the owner is always the caller (their user id or their clinic's id). */
const LISTS: Record<PartnerList, { table: string; owner: string; ownerOf: (p: Principal) => string }> = {
  mine: { table: 'user_partners', owner: 'user_id', ownerOf: (p) => p.userId },
  clinic: { table: 'clinic_partners', owner: 'clinic_id', ownerOf: (p) => p.clinicId },
};

/** created_at with microseconds, for the keyset cursor. */
const CURSOR_TS = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface PartnerRow {
  practitioner_id: string;
  created_at: Date;
  cursor_ts: string;
}

/** Saved partners: a practitioner's own (`/me/partners`) and their clinic's preferred ones (`/clinics/me/partners`). */
@Injectable()
export class PartnersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly practitioners: PractitionersService,
  ) {}

  /** Newest first. */
  async list(principal: Principal, list: PartnerList, page: { cursor?: string; limit?: number }): Promise<Page<PartnerView>> {
    const { table, owner, ownerOf } = LISTS[list];
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const params: unknown[] = [ownerOf(principal), limit + 1];
    let after = '';
    if (page.cursor) {
      params.push(...decodeCursor(page.cursor, ['timestamp', 'uuid']));
      after = `AND (created_at, practitioner_id) < ($3::timestamptz, $4::uuid)`;
    }
    const rows = await queryRows<PartnerRow>(
      this.db.manager,
      `SELECT practitioner_id, created_at, ${CURSOR_TS} AS cursor_ts FROM ${table}
        WHERE ${owner} = $1 ${after}
        ORDER BY created_at DESC, practitioner_id DESC LIMIT $2`,
      params,
    );
    const { items, nextCursor } = toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.cursor_ts, r.practitioner_id],
    );
    return { items: await Promise.all(items.map((r) => this.partnerView(principal, r))), nextCursor };
  }

  /** Saves a partner; saving one twice keeps one row (`created: false` the second time). */
  async add(
    principal: Principal,
    list: PartnerList,
    practitionerId: string,
  ): Promise<{ partner: PartnerView; created: boolean }> {
    if (practitionerId === principal.userId) {
      throw AppError.validation([{ field: 'practitionerId', message: 'you cannot be your own partner' }]);
    }
    const practitioner = await this.listedPractitioner(principal, practitionerId);
    const { table, owner, ownerOf } = LISTS[list];
    const addedBy = list === 'clinic' ? ', added_by' : '';
    const [inserted] = await queryRows<PartnerRow>(
      this.db.manager,
      `INSERT INTO ${table} (${owner}, practitioner_id${addedBy}) VALUES ($1, $2${addedBy && ', $3'})
       ON CONFLICT DO NOTHING RETURNING practitioner_id, created_at`,
      list === 'clinic' ? [ownerOf(principal), practitionerId, principal.userId] : [ownerOf(principal), practitionerId],
    );
    const row =
      inserted ??
      (
        await queryRows<PartnerRow>(
          this.db.manager,
          `SELECT practitioner_id, created_at FROM ${table} WHERE ${owner} = $1 AND practitioner_id = $2`,
          [ownerOf(principal), practitionerId],
        )
      )[0];
    // A concurrent DELETE between the two statements leaves nothing to show: the practitioner is not a partner.
    if (!row) throw notFound('partner');
    return { partner: { practitionerId, createdAt: row.created_at.toISOString(), practitioner }, created: Boolean(inserted) };
  }

  /** Removes a partner; removing one that is not saved is a 404. */
  async remove(principal: Principal, list: PartnerList, practitionerId: string): Promise<void> {
    const { table, owner, ownerOf } = LISTS[list];
    const deleted = await queryRows<{ practitioner_id: string }>(
      this.db.manager,
      `DELETE FROM ${table} WHERE ${owner} = $1 AND practitioner_id = $2 RETURNING practitioner_id`,
      [ownerOf(principal), practitionerId],
    );
    if (deleted.length === 0) throw notFound('partner');
  }

  private async partnerView(principal: Principal, row: PartnerRow): Promise<PartnerView> {
    let practitioner: UserView | null;
    try {
      practitioner = await this.listedPractitioner(principal, row.practitioner_id);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'not_found') throw error;
      practitioner = null;
    }
    return { practitionerId: row.practitioner_id, createdAt: row.created_at.toISOString(), practitioner };
  }

  /** A practitioner the caller can find in the directory; anyone else (an admin, a hidden practitioner) is 404. */
  private async listedPractitioner(principal: Principal, id: string): Promise<UserView> {
    const view = await this.practitioners.get(principal, id);
    if (!(PRACTITIONER_ROLES as readonly string[]).includes(view.role) || view.licenceExpired) throw notFound('practitioner');
    return view;
  }
}
