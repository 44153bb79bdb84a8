import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, Clock, type Principal, type ReferralKind, type Role } from '@referloop/common';
import { AuditLog, ClinicScope, todayIso } from '@referloop/identity';
import { DataSource, type EntityManager } from 'typeorm';
import { type MaintenancePlanInput, storedPlan } from '../maintenance-plan';
import { partiesOfRow } from '../referral-access';
import { referralView } from '../referral-rows';
import { assertRecipientEligible, assertRedFlagsUrgent, assertSenderRole, KIND_ROLES } from '../referral-rules';
import type { ReferralView } from '../referral.views';
import { type RecipientInviteInput, ReferralsService } from '../referrals.service';
import { allowedActions } from '../state-machine/referral-state-machine';
import { type DraftColumn, type DraftFacts, DraftStore } from './draft-store';

/**
 * An edit of a draft: any field a create takes (but the sender and `replacesId`, fixed when the draft
 * was made; an admin hands a draft to another sender with reassign). Left out: unchanged; `null`
 * clears an optional field. `recipientId` and `recipientInvite` replace each other.
 */
export interface UpdateDraftInput {
  version?: number;
  kind?: ReferralKind;
  patientId?: string;
  recipientId?: string;
  recipientInvite?: RecipientInviteInput;
  priority?: 'routine' | 'urgent';
  reason?: string;
  bodyRegions?: string[];
  observations?: string | null;
  painLevel?: number | null;
  onsetDate?: string | null;
  neededBy?: string | null;
  redFlags?: string[];
  emergencyAdviceGiven?: boolean;
  plan?: MaintenancePlanInput | null;
}

/** Each input field and the column it writes (recipients are handled on their own). */
const FIELD_COLUMNS = {
  kind: 'kind',
  patientId: 'patient_id',
  priority: 'priority',
  reason: 'reason',
  bodyRegions: 'body_regions',
  observations: 'observations',
  painLevel: 'pain_level',
  onsetDate: 'onset_date',
  neededBy: 'needed_by',
  redFlags: 'red_flags',
  emergencyAdviceGiven: 'emergency_advice_given',
  plan: 'plan',
} as const satisfies Partial<Record<keyof UpdateDraftInput, DraftColumn>>;

const notFound = () => new AppError('not_found', 'The referral was not found');

/**
 * `PATCH /referrals/:id`: the sender side edits a draft. Two statements after the checks' read, as
 * for any referral action: one read of the draft with every fact the create-time rules check on the
 * merged draft, then one statement that writes the change, one `draft_updated` event, its outbox row
 * and the audit row. Editing a draft to a new invitee first makes (or shares) their pending invite,
 * in the same transaction.
 */
@Injectable()
export class DraftsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly store: DraftStore,
    private readonly referrals: ReferralsService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks, in order: the body names something to change and a version (400), visibility (404),
   * version (409 `stale_version`), state (409 `invalid_transition`), the sender side (403), then the
   * create-time rules on the merged draft (400/404/422).
   */
  async update(principal: Principal, id: string, input: UpdateDraftInput, ifMatch?: number): Promise<ReferralView> {
    const expected = input.version ?? ifMatch;
    if (expected === undefined) {
      throw AppError.validation([
        { field: 'version', message: 'send the version you read, as body field "version" or header If-Match' },
      ]);
    }
    if (input.recipientId !== undefined && input.recipientInvite !== undefined) {
      const message = 'give at most one of recipientId and recipientInvite';
      throw AppError.validation([
        { field: 'recipientId', message },
        { field: 'recipientInvite', message },
      ]);
    }
    const changedFields = (Object.keys(input) as (keyof UpdateDraftInput)[]).filter(
      (field) => field !== 'version' && input[field] !== undefined,
    );
    if (changedFields.length === 0) {
      throw AppError.validation([{ field: 'body', message: 'name at least one field to change' }]);
    }
    const today = todayIso(this.clock.now());
    const facts = await this.store.facts(this.db.manager, ClinicScope.of(principal), id, {
      patientId: input.patientId,
      // A new invitee has no directory entry: the current recipient's facts are not needed then.
      recipientId: input.recipientInvite ? null : input.recipientId,
      today,
    });
    const parties = facts ? partiesOfRow(principal, facts) : [];
    if (!facts || parties.length === 0) {
      // The recipient side of an unsent draft, and everyone else, see nothing of it.
      await this.audit.record({ action: 'referral.update', resourceType: 'referral', resourceId: id, outcome: 'not_found' });
      throw notFound();
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
    this.assertMergedDraft(input, facts, today);

    const columns: Partial<Record<DraftColumn, unknown>> = {};
    for (const [field, column] of Object.entries(FIELD_COLUMNS) as [keyof typeof FIELD_COLUMNS, DraftColumn][]) {
      const value = input[field];
      if (value !== undefined) columns[column] = value;
    }
    if (input.plan) columns.plan = storedPlan(input.plan);
    if (input.recipientId !== undefined) {
      columns.recipient_id = input.recipientId;
      columns.recipient_clinic_id = facts.directory_clinic_id;
      columns.recipient_invite_id = null;
    }
    const write = async (manager: EntityManager) => {
      if (input.recipientInvite) {
        columns.recipient_invite_id = await this.referrals.pendingInvite(manager, facts.sender_clinic_id, input.recipientInvite);
        columns.recipient_id = null;
        columns.recipient_clinic_id = null;
      }
      const row = await this.store.update(manager, {
        id,
        expectedVersion: expected,
        actorId: principal.userId,
        columns,
        changedFields,
      });
      if (row) return row;
      // Someone else changed it between our read and this write (another edit, a send): nothing was
      // written, and an invite made for this edit is rolled back with the transaction.
      const current = await this.store.facts(manager, ClinicScope.of(principal), id, { today });
      throw current ? staleVersion(current) : notFound();
    };
    const row = input.recipientInvite ? await this.db.transaction(write) : await write(this.db.manager);
    return referralView(row, principal, this.referrals.inviteLink);
  }

  /** The rules a create checks, on the draft as it would be after the edit. */
  private assertMergedDraft(input: UpdateDraftInput, facts: DraftFacts, today: string): void {
    const kind = input.kind ?? facts.kind;
    const priority = input.priority ?? facts.priority;
    const redFlags = input.redFlags ?? facts.red_flags;
    const plan = input.plan === undefined ? facts.plan : input.plan;
    const neededBy = input.neededBy === undefined ? facts.needed_by : input.neededBy;
    assertSenderRole(kind, facts.sender_role);
    assertRedFlagsUrgent(priority, redFlags);
    // A follow-up draft may be without a plan until it is sent.
    if (kind === 'maintenance_massage' && !plan && !facts.previous_id) {
      throw AppError.validation([{ field: 'plan', message: 'is required for a maintenance_massage referral' }]);
    }
    if (kind === 'injury_care' && plan) {
      throw AppError.validation([
        { field: 'plan', message: 'only a maintenance_massage referral has a plan (send "plan": null with the new kind)' },
      ]);
    }
    if (neededBy && neededBy <= today) {
      throw AppError.validation([{ field: 'neededBy', message: 'must be a future date' }]);
    }
    if (!facts.patient_found) {
      throw new AppError('not_found', 'The patient was not found', {
        errors: [{ field: 'patientId', message: 'no such patient in your clinic' }],
      });
    }
    const recipientRole = KIND_ROLES[kind].recipient;
    const inviteRole: Role | null = input.recipientInvite?.role ?? (input.recipientId === undefined ? facts.invite_role : null);
    if (inviteRole) {
      if (inviteRole !== recipientRole) {
        throw new AppError('recipient_type_mismatch', `A ${kind} referral goes to a ${recipientRole}`, {
          errors: [{ field: input.recipientInvite ? 'recipientInvite.role' : 'kind', message: `must be ${recipientRole}` }],
        });
      }
      return;
    }
    if (!facts.directory_role) {
      throw new AppError('not_found', 'The recipient was not found', {
        errors: [{ field: 'recipientId', message: 'no such practitioner' }],
      });
    }
    assertRecipientEligible(
      kind,
      {
        role: facts.directory_role,
        licenceExpiresOn: facts.directory_licence_expires_on,
        acceptingReferrals: facts.directory_accepting === true,
      },
      today,
    );
  }
}

function staleVersion(current: DraftFacts): AppError {
  return new AppError('stale_version', `The referral is at version ${current.version}; read it again and retry`, {
    currentVersion: current.version,
    currentStatus: current.status,
  });
}
