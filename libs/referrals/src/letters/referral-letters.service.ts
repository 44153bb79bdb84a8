import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, Clock, type Principal } from '@referloop/common';
import { queryRows } from '@referloop/database';
import { AuditLog } from '@referloop/identity';
import { DataSource } from 'typeorm';
import { progressJson } from '../progress/progress-store';
import { partiesOfRow, partyClinicsOf } from '../referral-access';
import { ReferralsService } from '../referrals.service';
import { allowedActions } from '../state-machine/referral-state-machine';
import type { ReferralDocument } from './referral-document';
import { pdfFileName, renderOutcomeReport, renderReferralLetter } from './referral-pdfs';

export interface ReferralPdf {
  fileName: string;
  content: Buffer;
}

const party = (user: string, clinic: string) => `json_build_object(
    'fullName', ${user}.full_name, 'role', ${user}.role, 'licenceNumber', ${user}.licence_number, 'licenceRegion', ${user}.licence_region,
    'clinic', json_build_object('name', ${clinic}.name, 'addressLine1', ${clinic}.address_line1, 'city', ${clinic}.address_city,
      'region', ${clinic}.address_region, 'postalCode', ${clinic}.address_postal_code, 'country', ${clinic}.address_country,
      'phone', ${clinic}.phone, 'timezone', ${clinic}.timezone))`;

/** One query for everything a referral's PDFs print (attachments by name, type and size only: never their bytes). */
const DOCUMENT_SQL = `
  SELECT to_jsonb(r) || jsonb_build_object('progress', ${progressJson().text}) AS referral,
         json_build_object('firstName', p.first_name, 'lastName', p.last_name, 'dateOfBirth', p.date_of_birth::text,
           'email', p.email, 'phone', p.phone, 'preferredContact', p.preferred_contact) AS patient,
         ${party('s', 'sc')} AS sender,
         CASE WHEN t.id IS NOT NULL THEN ${party('t', 'tc')} END AS recipient,
         (SELECT coalesce(json_agg(json_build_object('fileName', a.file_name, 'contentType', a.content_type, 'sizeBytes', a.size_bytes)
                   ORDER BY a.created_at, a.id), '[]')
            FROM referral_attachments a WHERE a.referral_id = r.id) AS attachments,
         (SELECT coalesce(json_agg(json_build_object('type', e.type, 'fromStatus', e.from_status, 'toStatus', e.to_status,
                   'occurredAt', e.occurred_at, 'data', e.data) ORDER BY e.occurred_at, e.id), '[]')
            FROM referral_events e WHERE e.referral_id = r.id) AS timeline
    FROM referrals r
    JOIN patients p ON p.id = r.patient_id
    JOIN users s ON s.id = r.sender_id
    JOIN clinics sc ON sc.id = r.sender_clinic_id
    LEFT JOIN users t ON t.id = r.recipient_id
    LEFT JOIN clinics tc ON tc.id = r.recipient_clinic_id
   WHERE r.id = $1`;

/**
 * The referral letter and the outcome report as PDFs, made on the server. Same visibility as
 * GET /referrals/:id (404 for anyone else, the recipient side only once sent), and each one is
 * audited as a PHI read. Printing is only a read: it does not acknowledge a sent referral.
 */
@Injectable()
export class ReferralLettersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
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
    action: string,
    options: { requireOutcome?: boolean } = {},
  ): Promise<ReferralDocument> {
    const base = await this.referrals.visibleBase(principal, id, this.db.manager, action);
    const [row] = await queryRows<Omit<ReferralDocument, 'generatedAt'>>(this.db.manager, DOCUMENT_SQL, [id]);
    if (!row) throw new AppError('not_found', 'The referral was not found');
    if (options.requireOutcome && !row.referral.outcome) {
      throw new AppError('invalid_transition', `There is no outcome report yet: the referral is ${base.status}`, {
        currentStatus: base.status,
        allowedActions: allowedActions(base.status, partiesOfRow(principal, base)),
      });
    }
    await this.audit.record({ action, resourceType: 'referral', resourceId: id, partyClinics: partyClinicsOf(base) });
    return { ...row, generatedAt: this.clock.now() };
  }
}
