import { Injectable } from '@nestjs/common';
import { AppError, Clock, DEFAULT_PAGE_SIZE, decodeCursor, notFound, type Page, type Principal, toPage } from '@referloop/common';
import { type PartnerList, type PartnerRow, PartnersStore } from '../store/partners.store';
import { ClinicScope } from '../tenancy/clinic-scope';
import type { UserView } from '../views';
import { PractitionersService } from './practitioners.service';

export interface PartnerView {
  practitionerId: string;
  createdAt: string;
  /** Null when the practitioner is no longer listed in the directory (e.g. their licence expired): remove them. */
  practitioner: UserView | null;
}

export type { PartnerList };

/** Saved partners: a practitioner's own (`/me/partners`) and their clinic's preferred ones (`/clinics/me/partners`). */
@Injectable()
export class PartnersService {
  constructor(
    private readonly partners: PartnersStore,
    private readonly practitioners: PractitionersService,
    private readonly clock: Clock,
  ) {}

  /** Newest first. */
  async list(principal: Principal, list: PartnerList, page: { cursor?: string; limit?: number }): Promise<Page<PartnerView>> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const after = page.cursor
      ? (decodeCursor(page.cursor, `partners:${list}`, ['timestamp', 'uuid']) as [string, string])
      : undefined;
    const rows = await this.partners.page(ClinicScope.of(principal), list, { after, limit: limit + 1 });
    const { items, nextCursor } = toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.cursor_ts, r.practitioner_id],
      `partners:${list}`,
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
    const practitioner = await this.practitioners.listed(principal, practitionerId);
    const saved = await this.partners.add(ClinicScope.of(principal), list, practitionerId, this.clock.now());
    // A concurrent DELETE between the two statements leaves nothing to show: the practitioner is not a partner.
    if (!saved) throw notFound('partner');
    return { partner: { practitionerId, createdAt: saved.createdAt.toISOString(), practitioner }, created: saved.created };
  }

  /** Removes a partner; removing one that is not saved is a 404. */
  async remove(principal: Principal, list: PartnerList, practitionerId: string): Promise<void> {
    if (!(await this.partners.remove(ClinicScope.of(principal), list, practitionerId))) throw notFound('partner');
  }

  private async partnerView(principal: Principal, row: PartnerRow): Promise<PartnerView> {
    let practitioner: UserView | null;
    try {
      practitioner = await this.practitioners.listed(principal, row.practitioner_id);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'not_found') throw error;
      practitioner = null;
    }
    return { practitionerId: row.practitioner_id, createdAt: row.created_at.toISOString(), practitioner };
  }
}
