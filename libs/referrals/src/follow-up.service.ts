import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, type Principal } from '@referloop/common';
import { queryRows } from '@referloop/database';
import { AuditLog } from '@referloop/identity';
import { PatientsService, type PatientView } from '@referloop/patients';
import { DataSource, type EntityManager } from 'typeorm';
import type { MaintenancePlanInput } from './maintenance-plan';
import { partiesOfRow, partyClinicsOf } from './referral-access';
import type { ReferralView } from './referral.views';
import { ReferralsService } from './referrals.service';
import type { ReferralStatus } from './state-machine/referral-state-machine';

/** The states of an injury referral from which its recipient may follow up with maintenance massage. */
export const FOLLOW_UP_STATUSES: readonly ReferralStatus[] = ['in_care', 'outcome_sent', 'closed'];

export interface FollowUpInput {
  /** Default: the injury referral's sender, when they are a massage therapist. */
  recipientId?: string;
  plan?: MaintenancePlanInput;
  reason?: string;
  observations?: string;
}

export interface ImportedPatient {
  patient: PatientView;
  /** False when the clinic already had its copy of this referral's patient. */
  created: boolean;
}

/** Who a referral's patient is: read for the caller's side checks. */
interface SourceRow {
  id: string;
  kind: string;
  status: ReferralStatus;
  patient_id: string;
  sender_id: string;
  sender_clinic_id: string;
  recipient_id: string;
  recipient_clinic_id: string;
  sent_at: Date | null;
  sender_role: string;
  body_regions: string[];
}

/**
 * The way back from physical therapy to maintenance massage: the recipient's clinic takes the
 * referral's patient as a patient of its own (a copy of the summary, linked to the referral) and
 * drafts a maintenance referral that names the injury referral as its `previousId`.
 */
@Injectable()
export class FollowUpService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly referrals: ReferralsService,
    private readonly patients: PatientsService,
    private readonly audit: AuditLog,
  ) {}

  /** POST /patients/import: the recipient side's copy of a referral's patient, made once per clinic. */
  async importPatient(principal: Principal, referralId: string): Promise<ImportedPatient> {
    const source = await this.recipientSource(principal, referralId, 'patient.import');
    const { patientId, created } = await this.db.transaction((tx) => this.copyPatient(principal, source, tx));
    return { patient: await this.patients.get(principal, patientId), created };
  }

  /**
   * POST /referrals/:id/follow-up. Checks, in order: visibility (404), kind and state (409
   * invalid_transition), the recipient side (403); the draft is then created as any referral is.
   */
  async followUp(principal: Principal, referralId: string, input: FollowUpInput): Promise<ReferralView> {
    const source = await this.visibleSource(principal, referralId, 'referral.follow_up');
    if (source.kind !== 'injury_care' || !FOLLOW_UP_STATUSES.includes(source.status)) {
      throw new AppError('invalid_transition', `A ${source.kind} referral that is ${source.status} cannot be followed up`, {
        currentStatus: source.status,
        allowedActions: [],
      });
    }
    this.assertRecipientSide(principal, source);
    const recipientId = input.recipientId ?? (source.sender_role === 'massage_therapist' ? source.sender_id : undefined);
    if (!recipientId) {
      throw AppError.validation([
        { field: 'recipientId', message: 'is required: the referral was not sent by a massage therapist' },
      ]);
    }
    return this.db.transaction(async (tx) => {
      const { patientId } = await this.copyPatient(principal, source, tx);
      return this.referrals.create(
        principal,
        {
          kind: 'maintenance_massage',
          patientId,
          recipientId,
          // The PT who treated the patient sends it, also when an admin of their clinic drafts it.
          senderId: source.recipient_id,
          priority: 'routine',
          reason: input.reason ?? 'Maintenance massage recommended after physical therapy',
          observations: input.observations ?? null,
          bodyRegions: source.body_regions,
          plan: input.plan ?? null,
        },
        tx,
        { previousId: source.id },
      );
    });
  }

  private async recipientSource(principal: Principal, referralId: string, action: string): Promise<SourceRow> {
    const source = await this.visibleSource(principal, referralId, action);
    // The sender's clinic has the patient already: to it, as to a third clinic, there is nothing to import.
    if (!partiesOfRow(principal, source).includes('recipient')) {
      await this.audit.record({ action, resourceType: 'referral', resourceId: referralId, outcome: 'not_found' });
      throw new AppError('not_found', 'The referral was not found among those your clinic received');
    }
    return source;
  }

  private assertRecipientSide(principal: Principal, source: SourceRow): void {
    if (!partiesOfRow(principal, source).includes('recipient')) {
      throw new AppError('forbidden', 'Only the recipient (or an admin of their clinic) may follow this referral up');
    }
  }

  private async visibleSource(principal: Principal, referralId: string, action: string): Promise<SourceRow> {
    const [source] = await queryRows<SourceRow>(
      this.db.manager,
      `SELECT r.id, r.kind, r.status, r.patient_id, r.sender_id, r.sender_clinic_id, r.recipient_id, r.recipient_clinic_id,
              r.sent_at, s.role AS sender_role, r.body_regions
         FROM referrals r JOIN users s ON s.id = r.sender_id
        WHERE r.id = $1`,
      [referralId],
    );
    if (!source || partiesOfRow(principal, source).length === 0) {
      await this.audit.record({ action, resourceType: 'referral', resourceId: referralId, outcome: 'not_found' });
      throw new AppError('not_found', 'The referral was not found');
    }
    return source;
  }

  /**
   * The caller's clinic's patient for the referral: the referral's own patient when both sides are
   * one clinic, else the copy linked to the referral, inserted once (a concurrent import waits on
   * the unique key and then reads the winner's row).
   */
  private async copyPatient(
    principal: Principal,
    source: SourceRow,
    tx: EntityManager,
  ): Promise<{ patientId: string; created: boolean }> {
    if (source.sender_clinic_id === principal.clinicId) return { patientId: source.patient_id, created: false };
    const [inserted] = await queryRows<{ id: string }>(
      tx,
      `INSERT INTO patients (clinic_id, first_name, last_name, date_of_birth, email, phone, preferred_contact, created_by, source_referral_id)
       SELECT $2, p.first_name, p.last_name, p.date_of_birth, p.email, p.phone, p.preferred_contact, $3, r.id
         FROM referrals r JOIN patients p ON p.id = r.patient_id
        WHERE r.id = $1
       ON CONFLICT (clinic_id, source_referral_id) DO NOTHING
       RETURNING id`,
      [source.id, principal.clinicId, principal.userId],
    );
    const patientId =
      inserted?.id ??
      (
        await queryRows<{ id: string }>(tx, `SELECT id FROM patients WHERE clinic_id = $1 AND source_referral_id = $2`, [
          principal.clinicId,
          source.id,
        ])
      )[0].id;
    await this.audit.record(
      {
        action: 'patient.import',
        resourceType: 'patient',
        resourceId: patientId,
        details: { referralId: source.id, created: Boolean(inserted) },
        partyClinics: partyClinicsOf(source),
      },
      tx,
    );
    return { patientId, created: Boolean(inserted) };
  }
}
