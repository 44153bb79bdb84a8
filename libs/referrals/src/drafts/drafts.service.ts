import { Injectable } from '@nestjs/common';
import { AppError, calendarDayIn, Clock, notFound, type Principal, type ReferralKind, type Role } from '@referloop/common';
import { AuditLog, ClinicScope } from '@referloop/identity';
import type { EntityManager } from 'typeorm';
import { assertPlanDates, type MaintenancePlanInput, storedPlan } from '../maintenance-plan';
import { partiesOf } from '../referral-access';
import {
  assertNeededByAhead,
  assertRecipientEligible,
  assertRedFlagsUrgent,
  assertSenderRole,
  KIND_ROLES,
} from '../referral-rules';
import type { ReferralView } from '../referral.views';
import { assertSamePatient, type RecipientInviteInput, ReferralsService } from '../referrals.service';
import { allowedActions } from '../state-machine/referral-state-machine';
import { EDIT_KEYS, type ReferralDraftEdit, type ReferralInputColumns } from '../store/columns';
import { type DraftFacts, ReferralStore } from '../store/referral-store';
import { expectedVersion, staleVersion } from '../versions';

/**
 * An edit of a draft: any field a create takes (but the sender and `replacesId`, fixed when the draft
 * was made; an admin hands a draft to another sender with reassign). Left out: unchanged; `null`
 * clears an optional field. `recipientId` and `recipientInvite` replace each other. The registry's
 * plain create fields (`ReferralInputColumns`) are taken as they are.
 */
export interface UpdateDraftInput extends ReferralInputColumns {
  version?: number;
  kind?: ReferralKind;
  patientId?: string;
  recipientId?: string;
  recipientInvite?: RecipientInviteInput;
  priority?: 'routine' | 'urgent';
  reason?: string;
  bodyRegions?: string[];
  redFlags?: string[];
  emergencyAdviceGiven?: boolean;
  plan?: MaintenancePlanInput | null;
}

/** Registry `edit` fields the service derives rather than copies (the recipient's clinic and invite, the stored plan). */
const DERIVED: ReadonlySet<string> = new Set(['recipientClinicId', 'recipientInviteId', 'plan']);

/**
 * `PATCH /referrals/:id`: the sender side edits a draft. As for any referral action, one read of the
 * draft with every fact the create-time rules check on the edited draft, then one statement that
 * writes the registry's `edit` fields given, one `draft_updated` event, its outbox row and the audit
 * row (both in {@link ReferralStore}). Editing a draft to a new invitee first makes (or shares) their
 * pending invite, in the same transaction.
 */
@Injectable()
export class DraftsService {
  constructor(
    private readonly store: ReferralStore,
    private readonly referrals: ReferralsService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks, in order: the body names something to change and a version (400), visibility (404),
   * version (409 `stale_version`), state (409 `invalid_transition`), the sender side (403), then the
   * create-time rules on the edited draft (400/404/422).
   */
  async update(principal: Principal, id: string, input: UpdateDraftInput, ifMatch?: number): Promise<ReferralView> {
    const expected = expectedVersion(input.version, ifMatch);
    if (input.recipientId !== undefined && input.recipientInvite !== undefined) {
      const message = 'give at most one of recipientId and recipientInvite';
      throw AppError.validation([
        { field: 'recipientId', message },
        { field: 'recipientInvite', message },
      ]);
    }
    const givenFields = (Object.keys(input) as (keyof UpdateDraftInput)[]).filter(
      (field): field is Exclude<keyof UpdateDraftInput, 'version'> => field !== 'version' && input[field] !== undefined,
    );
    if (givenFields.length === 0) {
      throw AppError.validation([{ field: 'body', message: 'name at least one field to change' }]);
    }
    const scope = ClinicScope.of(principal);
    const facts = await this.store.draftFacts(this.store.manager, scope, id, {
      patientId: input.patientId,
      // A new invitee has no account: the current recipient's facts are not needed then.
      recipientId: input.recipientInvite ? null : input.recipientId,
    });
    const parties = facts ? partiesOf(principal, facts) : [];
    if (!facts || parties.length === 0) {
      // The recipient side of an unsent draft, and everyone else, see nothing of it.
      await this.audit.record({
        by: principal,
        action: 'referral.update',
        resourceType: 'referral',
        resourceId: id,
        outcome: 'not_found',
      });
      throw notFound('referral');
    }
    if (expected !== facts.version) throw staleVersion(facts);
    if (facts.status !== 'draft') {
      throw new AppError('invalid_transition', `Only a draft can be edited; this referral is ${facts.status}`, {
        currentStatus: facts.status,
        allowedActions: allowedActions(facts.status, parties),
      });
    }
    if (!parties.includes('sender')) {
      throw new AppError('forbidden', 'Only the sender (or an admin of their clinic) may edit this draft');
    }
    const now = this.clock.now();
    this.assertEditedDraft(input, facts, now, calendarDayIn(now, facts.senderClinicTimezone));

    // The body's fields carry the registry's names: each `edit` entry given is copied as it is.
    const given = input as Record<string, unknown>;
    const copied: Record<string, unknown> = {};
    for (const key of EDIT_KEYS) {
      if (!DERIVED.has(key) && given[key] !== undefined) copied[key] = given[key];
    }
    const values: ReferralDraftEdit = copied;
    if (input.plan !== undefined) values.plan = input.plan ? storedPlan(input.plan) : null;
    if (input.recipientId !== undefined) {
      values.recipientClinicId = facts.namedClinicId;
      values.recipientInviteId = null;
    }
    const write = async (manager: EntityManager) => {
      if (input.recipientInvite) {
        values.recipientInviteId = await this.referrals.pendingInvite(manager, scope, input.recipientInvite);
        values.recipientId = null;
        values.recipientClinicId = null;
      }
      const row = await this.store.updateDraft(
        manager,
        id,
        expected,
        values,
        givenFields,
        { type: 'draft_updated', fromStatus: 'draft', toStatus: 'draft', actorId: principal.userId },
        { by: principal, action: 'referral.update', resourceType: 'referral' },
        this.clock.now(),
      );
      if (row) return row;
      // Someone else changed it between our read and this write (another edit, a send): nothing was
      // written, and an invite made for this edit is rolled back with the transaction.
      const current = await this.store.draftFacts(manager, scope, id, {});
      throw current ? staleVersion(current) : notFound('referral');
    };
    const row = input.recipientInvite ? await this.store.transaction(write) : await write(this.store.manager);
    return this.referrals.view(row, principal);
  }

  /**
   * The rules a create checks, on the draft as it would be after the edit, at `now`. `clinicToday`:
   * the sender clinic's day, which the dates its people type are checked against (as a create does).
   */
  private assertEditedDraft(input: UpdateDraftInput, facts: DraftFacts, now: Date, clinicToday: string): void {
    const kind = input.kind ?? facts.kind;
    const priority = input.priority ?? facts.priority;
    const redFlags = input.redFlags ?? facts.redFlags;
    const hasPlan = input.plan === undefined ? facts.hasPlan : input.plan !== null;
    const neededBy = input.neededBy === undefined ? facts.neededBy : input.neededBy;
    assertSenderRole(kind, facts.senderRole);
    assertRedFlagsUrgent(priority, redFlags);
    // A follow-up draft may be without a plan until it is sent.
    if (kind === 'maintenance_massage' && !hasPlan && !facts.previousId) {
      throw AppError.validation([{ field: 'plan', message: 'is required for a maintenance_massage referral' }]);
    }
    if (kind === 'injury_care' && hasPlan) {
      throw AppError.validation([
        { field: 'plan', message: 'only a maintenance_massage referral has a plan (send "plan": null with the new kind)' },
      ]);
    }
    assertNeededByAhead(neededBy, clinicToday);
    assertPlanDates(input.plan, clinicToday);
    if (!facts.patientFound) {
      throw new AppError('not_found', 'The patient was not found', {
        errors: [{ field: 'patientId', message: 'no such patient in your clinic' }],
      });
    }
    if (input.patientId !== undefined) assertSamePatient(facts.replacedPatientId, input.patientId);
    const recipientRole = KIND_ROLES[kind].recipient;
    const inviteRole: Role | null = input.recipientInvite?.role ?? (input.recipientId === undefined ? facts.inviteRole : null);
    if (inviteRole) {
      if (inviteRole !== recipientRole) {
        throw new AppError('recipient_type_mismatch', `A ${kind} referral goes to a ${recipientRole}`, {
          errors: [{ field: input.recipientInvite ? 'recipientInvite.role' : 'kind', message: `must be ${recipientRole}` }],
        });
      }
      return;
    }
    if (!facts.namedRole) {
      throw new AppError('not_found', 'The recipient was not found', {
        errors: [{ field: 'recipientId', message: 'no such practitioner' }],
      });
    }
    assertRecipientEligible(
      kind,
      {
        role: facts.namedRole,
        active: facts.namedActive === true,
        licenceExpiresOn: facts.namedLicenceExpiresOn,
        clinicTimezone: facts.namedClinicTimezone!,
        acceptingReferrals: facts.namedAccepting === true,
      },
      now,
      'recipientId',
    );
  }
}
