import { Injectable } from '@nestjs/common';
import { AppError, Clock, notFound, type Principal } from '@referloop/common';
import { AuditLog } from '@referloop/identity';
import { partiesOf, partyClinicsOf } from '../referral-access';
import { ReferralsService } from '../referrals.service';
import { allowedActions } from '../state-machine/referral-state-machine';
import { ReferralActivityStore } from '../store/activity-store';
import { ReferralStore } from '../store/referral-store';
import type { ReferralDocument } from './referral-document';
import { pdfFileName, renderOutcomeReport, renderReferralLetter } from './referral-pdfs';

export interface ReferralPdf {
  fileName: string;
  content: Buffer;
}

/**
 * The referral letter and the outcome report as PDFs, made on the server. Same visibility as
 * GET /referrals/:id (404 for anyone else, the recipient side only once sent), and each one is
 * audited as a PHI read. Printing is only a read: it does not acknowledge a sent referral.
 */
@Injectable()
export class ReferralLettersService {
  constructor(
    private readonly store: ReferralActivityStore,
    private readonly referralStore: ReferralStore,
    private readonly referrals: ReferralsService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async letter(principal: Principal, id: string): Promise<ReferralPdf> {
    const document = await this.read(principal, id, 'referral.letter_pdf');
    return { fileName: pdfFileName('letter', id), content: await renderReferralLetter(document) };
  }

  /** 409 invalid_transition until the outcome is sent: there is nothing to report yet. */
  async outcome(principal: Principal, id: string): Promise<ReferralPdf> {
    const document = await this.read(principal, id, 'referral.outcome_pdf', { requireOutcome: true });
    return { fileName: pdfFileName('outcome', id), content: await renderOutcomeReport(document) };
  }

  /** Checks visibility (404, audited), reads the document and audits the read. */
  private async read(
    principal: Principal,
    id: string,
    action: 'referral.letter_pdf' | 'referral.outcome_pdf',
    options: { requireOutcome?: boolean } = {},
  ): Promise<ReferralDocument> {
    const base = await this.referrals.visibleBase(principal, id, this.referralStore.manager, action);
    const row = await this.store.document(id);
    if (!row) throw notFound('referral');
    if (options.requireOutcome && !row.referral.outcome) {
      throw new AppError('invalid_transition', `There is no outcome report yet: the referral is ${base.status}`, {
        currentStatus: base.status,
        allowedActions: allowedActions(base.status, partiesOf(principal, base)),
      });
    }
    await this.audit.record({
      by: principal,
      action,
      resourceType: 'referral',
      resourceId: id,
      partyClinics: partyClinicsOf(base),
    });
    return { ...row, generatedAt: this.clock.now() };
  }
}
