import { Injectable } from '@nestjs/common';
import { AppError, type AuditAction, calendarDayIn, Clock, notFound, type Principal } from '@referloop/common';
import { AuditLog, ClinicScope, ClinicsService } from '@referloop/identity';
import { PatientsService, type PatientView } from '@referloop/patients';
import type { EntityManager } from 'typeorm';
import { canonicalJson } from './idempotency';
import { assertPlanDates, type MaintenancePlanInput, storedPlan } from './maintenance-plan';
import { partiesOf, partyClinicsOf } from './referral-access';
import { assertNeededByAhead, assertRedFlagsUrgent } from './referral-rules';
import type { ReferralView } from './referral.views';
import { type CreateReferralInput, type RecipientInviteInput, ReferralsService } from './referrals.service';
import { allowedActions, type ReferralStatus } from './state-machine/referral-state-machine';
import { ReferralActivityStore, type SourceRow } from './store/activity-store';
import { ReferralStore } from './store/referral-store';
import type { ReferralDraftEdit } from './store/columns';
import type { ReferralRow } from './store/referral-view';

/** The states of an injury referral from which its recipient may follow up with maintenance massage. */
export const FOLLOW_UP_STATUSES: readonly ReferralStatus[] = ['in_care', 'outcome_sent', 'closed'];
/**
 * The states in which the recipient side has taken the referral on, so its clinic may take the
 * patient as its own: not before accepting, nor once declined, cancelled or expired.
 */
export const IMPORT_STATUSES: readonly ReferralStatus[] = [
  'accepted',
  'scheduled',
  'in_care',
  'cancel_requested',
  'outcome_sent',
  'closed',
];

/**
 * The rest of a create's fields a follow-up takes, so the whole form is one draft (one `created`
 * event); a repeat request changes them on the open draft as given.
 */
export const FOLLOW_UP_FORM_FIELDS = [
  'bodyRegions',
  'painLevel',
  'onsetDate',
  'neededBy',
  'redFlags',
  'emergencyAdviceGiven',
  'priority',
] as const;

export interface FollowUpInput extends Partial<Pick<CreateReferralInput, (typeof FOLLOW_UP_FORM_FIELDS)[number]>> {
  /** Default: the injury referral's sender, when they are a massage therapist. */
  recipientId?: string;
  /** Instead of `recipientId`: a massage therapist not on ReferLoop yet. */
  recipientInvite?: RecipientInviteInput;
  plan?: MaintenancePlanInput;
  reason?: string;
  observations?: string;
}

export interface ImportedPatient {
  patient: PatientView;
  /** False when the clinic already had its copy of this referral's patient. */
  created: boolean;
}

/**
 * The way back from physical therapy to maintenance massage: the recipient's clinic takes the
 * referral's patient as a patient of its own (a copy of the summary, linked to the referral) and
 * drafts a maintenance referral that names the injury referral as its `previousId`.
 */
@Injectable()
export class FollowUpService {
  constructor(
    private readonly store: ReferralActivityStore,
    private readonly referralStore: ReferralStore,
    private readonly referrals: ReferralsService,
    private readonly patients: PatientsService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly clinics: ClinicsService,
  ) {}

  /**
   * POST /patients/import: the recipient side's copy of a referral's patient, made once per clinic,
   * once it has taken the referral on (IMPORT_STATUSES; else 409 invalid_transition).
   */
  async importPatient(principal: Principal, referralId: string): Promise<ImportedPatient> {
    const source = await this.recipientSource(principal, referralId, 'patient.import');
    const { patientId, created } = await this.referralStore.transaction(async (tx) => {
      // Under a share lock: a decline or cancel at the same moment either committed first (and is
      // seen here) or waits until the copy is made.
      const status = await this.store.lockedStatus(tx, source.id);
      if (!IMPORT_STATUSES.includes(status)) {
        throw new AppError('invalid_transition', `The patient of a referral that is ${status} cannot be imported`, {
          currentStatus: status,
          allowedActions: allowedActions(status, partiesOf(principal, source)),
        });
      }
      return this.copyPatient(principal, source, tx);
    });
    return { patient: await this.patients.get(principal, patientId), created };
  }

  /**
   * POST /referrals/:id/follow-up. Checks, in order: visibility (404), kind and state (409
   * invalid_transition), the recipient side (403); the draft is then created as any referral is.
   * A repeat (a double click, a retry, the form sent again) while that draft is still a draft
   * answers the same draft, with the plan and texts it names written into it (a `draft_updated`
   * event when they differ): what the caller sent last is never dropped.
   */
  async followUp(
    principal: Principal,
    referralId: string,
    input: FollowUpInput,
  ): Promise<{ referral: ReferralView; created: boolean }> {
    const source = await this.visibleSource(principal, referralId, 'referral.follow_up');
    if (source.kind !== 'injury_care' || !FOLLOW_UP_STATUSES.includes(source.status)) {
      throw new AppError('invalid_transition', `A ${source.kind} referral that is ${source.status} cannot be followed up`, {
        currentStatus: source.status,
        allowedActions: allowedActions(source.status, partiesOf(principal, source)),
      });
    }
    this.assertRecipientSide(principal, source);
    if (input.recipientId != null && input.recipientInvite != null) {
      throw AppError.validation([{ field: 'recipientInvite', message: 'give recipientId or recipientInvite, not both' }]);
    }
    const recipientId = input.recipientInvite
      ? undefined
      : (input.recipientId ?? (source.senderRole === 'massage_therapist' ? source.senderId : undefined));
    if (!recipientId && !input.recipientInvite) {
      throw AppError.validation([
        { field: 'recipientId', message: 'is required: the referral was not sent by a massage therapist' },
      ]);
    }
    return this.referralStore.transaction(async (tx) => {
      // The draft this follow-up would make: from the source's current recipient (see create below), to the same massage therapist.
      const existing = await this.store.openFollowUpDraft(
        tx,
        source.id,
        source.recipientId,
        recipientId ? { recipientId } : { inviteEmail: input.recipientInvite!.email },
      );
      if (existing) {
        const row = await this.referralStore.detailed(existing, tx);
        if (row) {
          const repeated = await this.applyRepeat(principal, row, input, tx);
          return { referral: this.referrals.view(repeated, principal), created: false };
        }
      }
      const { patientId } = await this.copyPatient(principal, source, tx);
      const referral = await this.referrals.create(
        principal,
        {
          kind: 'maintenance_massage',
          patientId,
          recipientId,
          recipientInvite: input.recipientInvite,
          // The PT who treated the patient sends it, also when an admin of their clinic drafts it.
          senderId: source.recipientId,
          priority: input.priority ?? 'routine',
          reason: input.reason ?? 'Maintenance massage recommended after physical therapy',
          observations: input.observations ?? null,
          bodyRegions: input.bodyRegions ?? source.bodyRegions,
          painLevel: input.painLevel ?? null,
          onsetDate: input.onsetDate ?? null,
          neededBy: input.neededBy ?? null,
          redFlags: input.redFlags ?? [],
          emergencyAdviceGiven: input.emergencyAdviceGiven ?? false,
          plan: input.plan ?? null,
        },
        tx,
        { previousId: source.id },
      );
      return { referral, created: true };
    });
  }

  /** The follow-up draft with what a repeat names written into it; unchanged when it names nothing new. */
  private async applyRepeat(
    principal: Principal,
    draft: ReferralRow,
    input: FollowUpInput,
    tx: EntityManager,
  ): Promise<ReferralRow> {
    const values: ReferralDraftEdit = {};
    // A plan or reason of null names none, as in the first request (no plan, the default reason).
    const plan = input.plan == null ? undefined : storedPlan(input.plan);
    if (plan && canonicalJson(plan) !== canonicalJson(draft.plan)) values.plan = plan;
    if (input.reason != null && input.reason !== draft.reason) values.reason = input.reason;
    if (input.observations !== undefined && input.observations !== draft.observations) values.observations = input.observations;
    for (const field of FOLLOW_UP_FORM_FIELDS) {
      const given = input[field];
      if (given !== undefined && canonicalJson(given) !== canonicalJson(draft[field])) Object.assign(values, { [field]: given });
    }
    const fields = Object.keys(values) as (keyof ReferralDraftEdit)[];
    if (fields.length === 0) return draft;
    // As a create or an edit checks it: the draft as it would be, the dates it is given for sense.
    assertRedFlagsUrgent(values.priority ?? draft.priority, values.redFlags ?? draft.redFlags);
    const now = this.clock.now();
    // The PT's clinic sends it: its calendar day, as a create checks it (read in the transaction, which
    // holds the source's lock: another pool connection here would let many repeats hold them all).
    const today = calendarDayIn(now, (await this.clinics.getOwn(principal, tx)).timezone);
    if (values.neededBy !== undefined) assertNeededByAhead(values.neededBy, today);
    assertPlanDates(input.plan, today);
    // The source's lock (openFollowUpDraft) orders repeats; the draft's own version guards against an edit meanwhile.
    const row = await this.referralStore.updateDraft(
      tx,
      draft.id,
      draft.version,
      values,
      fields,
      { type: 'draft_updated', fromStatus: 'draft', toStatus: 'draft', actorId: principal.userId },
      { by: principal, action: 'referral.update', resourceType: 'referral' },
      now,
    );
    if (!row) {
      const current = await this.referralStore.detailed(draft.id, tx);
      throw new AppError('stale_version', 'The follow-up draft changed meanwhile; read it again and edit it', {
        currentVersion: current?.version,
        currentStatus: current?.status,
      });
    }
    return row;
  }

  private async recipientSource(principal: Principal, referralId: string, action: AuditAction): Promise<SourceRow> {
    const source = await this.visibleSource(principal, referralId, action);
    // The sender's clinic has the patient already: to it, as to a third clinic, there is nothing to import.
    if (!partiesOf(principal, source).includes('recipient')) {
      await this.audit.record({ by: principal, action, resourceType: 'referral', resourceId: referralId, outcome: 'not_found' });
      throw new AppError('not_found', 'The referral was not found among those your clinic received');
    }
    return source;
  }

  private assertRecipientSide(principal: Principal, source: SourceRow): void {
    if (!partiesOf(principal, source).includes('recipient')) {
      throw new AppError('forbidden', 'Only the recipient (or an admin of their clinic) may follow this referral up');
    }
  }

  private async visibleSource(principal: Principal, referralId: string, action: AuditAction): Promise<SourceRow> {
    const source = await this.store.source(referralId);
    if (!source || partiesOf(principal, source).length === 0) {
      await this.audit.record({ by: principal, action, resourceType: 'referral', resourceId: referralId, outcome: 'not_found' });
      throw notFound('referral');
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
    if (source.senderClinicId === principal.clinicId) return { patientId: source.patientId, created: false };
    const { patientId, created } = await this.store.copyPatient(tx, ClinicScope.of(principal), source.id);
    await this.audit.record(
      {
        by: principal,
        action: 'patient.import',
        resourceType: 'patient',
        resourceId: patientId,
        details: { referralId: source.id, created },
        partyClinics: partyClinicsOf(source),
      },
      tx,
    );
    return { patientId, created };
  }
}
