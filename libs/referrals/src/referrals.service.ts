import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  AppError,
  type AuditAction,
  calendarDayIn,
  Clock,
  cursorTimestampOf,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  decodeTimestampKeyset,
  pageOf,
  isClinicAdmin,
  licenceLapsed,
  notFound,
  PRACTITIONER_ROLES,
  type Page,
  type Principal,
  type ReferralAction,
  type ReferralKind,
  type PractitionerRole,
  type Role,
  toPage,
} from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { AuditLog, ClinicScope, referralInviteToken, referralInviteUrl, sha256 } from '@referloop/identity';
import type { EntityManager } from 'typeorm';
import type { ReferralOutcome } from './entities/referral.entity';
import { assertPlanDates, type MaintenancePlanInput, storedPlan } from './maintenance-plan';
import type { ProgressInput, ProgressView } from './progress/progress';
import { partiesOf, partyClinicsOf, partyClinicsOfPage } from './referral-access';
import {
  assertNeededByAhead,
  assertEmergencyAdvice,
  assertRecipientEligible,
  assertRedFlagsUrgent,
  assertSenderRole,
  KIND_ROLES,
  offeredActions,
  type RecipientFacts,
} from './referral-rules';
import type { ReferralEventView, ReferralView } from './referral.views';
import {
  type ActionField,
  checkTransition,
  type Party,
  REDIRECTABLE_STATUSES,
  type ReferralStatus,
  TERMINAL_STATUSES,
} from './state-machine/referral-state-machine';
import { inputColumns, type ReferralInputColumns } from './store/columns';
import { type BaseRow, type CreateFacts, type ReferralBox, ReferralStore } from './store/referral-store';
import {
  eventView,
  type InviteLink,
  inviteLinkWorks,
  type ReferralRow,
  referralView,
  type ViewContext,
} from './store/referral-view';
import { expectedVersion, staleVersion } from './versions';

export type { BaseRow, ReferralBox };

/**
 * A create body: the registry's plain optional fields (`ReferralInputColumns`: stored as given,
 * null when left out) and the fields the service checks or derives.
 */
export interface CreateReferralInput extends ReferralInputColumns {
  kind: ReferralKind;
  patientId: string;
  /** Exactly one of `recipientId` (a practitioner in the directory) and `recipientInvite` (someone not on ReferLoop). */
  recipientId?: string;
  recipientInvite?: RecipientInviteInput;
  /** Required when an admin creates the referral for a practitioner of their clinic. */
  senderId?: string;
  priority: 'routine' | 'urgent';
  reason: string;
  bodyRegions?: string[];
  redFlags?: string[];
  /** The sender told the client to seek emergency care now: needed to send with an emergency red flag. */
  emergencyAdviceGiven?: boolean;
  plan?: MaintenancePlanInput | null;
  replacesId?: string | null;
}

export interface RecipientInviteInput {
  email: string;
  fullName: string;
  role: PractitionerRole;
}

/** A follow-up draft: set by {@link FollowUpService} only, never taken from a create body. */
export interface FollowUpLink {
  previousId: string;
}

export interface ReferralActionInput {
  version?: number;
  note?: string;
  reason?: string;
  appointmentAt?: string;
  outcome?: OutcomeInput;
  progress?: ProgressInput;
}

export interface OutcomeInput {
  summary: string;
  recommendations?: string | null;
  painLevel?: number | null;
  psfs?: number | null;
  visits?: number | null;
  recommendMaintenance?: boolean | null;
}

/** The version the caller read: one of these two (see expectedVersion). */
export interface VersionInput {
  version?: number;
  ifMatch?: number;
}

export interface ReassignInput extends VersionInput {
  practitionerId: string;
}

export interface ReferralQuery {
  box?: ReferralBox;
  status?: ReferralStatus[];
  kind?: ReferralKind;
  patientId?: string;
  updatedSince?: string;
  sort?: ReferralSort;
  cursor?: string;
  limit?: number;
}

export const REFERRAL_SORTS = ['updated', 'priority'] as const;
export type ReferralSort = (typeof REFERRAL_SORTS)[number];

/** A reassignment's target who cannot take it: like someone the directory no longer lists, there is no one to hand it to. */
const inactivePractitioner = () =>
  new AppError('not_found', 'The practitioner is deactivated or has not joined yet', {
    errors: [{ field: 'practitionerId', message: 'must be an active practitioner' }],
  });

/** A join link's token that opens nothing; `field` names it as the request does (`token` to look up, `invitationToken` to join). */
const invalidInviteToken = (field: 'token' | 'invitationToken') =>
  AppError.validation([{ field, message: 'is not a valid invitation link, was already used, or its referral has ended' }]);

/** Outbox event of a new join link for a sent referral's invitee: the worker emails it. */
export const REFERRAL_INVITE_RESENT_EVENT = 'referral_invite.resent';

/** A page's position and size, as a list's query gives them. */
type PageRequest = { cursor?: string; limit?: number };

@Injectable()
export class ReferralsService {
  constructor(
    private readonly store: ReferralStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The join link of a pending invite, as the sender's side sees it. */
  private readonly inviteLink: InviteLink = (inviteId, tokenVersion) =>
    referralInviteUrl(this.config.publicUrl, referralInviteToken(this.config.jwt.secret, inviteId, tokenVersion));

  /** The actions `parties` are offered on `base` now (see offeredActions), for a 409's `allowedActions`. */
  private offered(base: BaseRow, parties: readonly Party[]): ReferralAction[] {
    return offeredActions(
      base.status,
      parties,
      base.recipientId === null
        ? null
        : { licenceExpiresOn: base.recipientLicenceExpiresOn, clinicTimezone: base.recipientClinicTimezone! },
      this.clock.now(),
    );
  }

  /** A referral as `principal` sees it now. */
  view(row: ReferralRow, principal: Principal): ReferralView {
    return referralView(row, principal, this.viewContext());
  }

  /** A page of referrals as `principal` sees them now: one clock reading for the page. */
  private views(rows: readonly ReferralRow[], principal: Principal): ReferralView[] {
    const context = this.viewContext();
    return rows.map((row) => referralView(row, principal, context));
  }

  private viewContext(): ViewContext {
    return { inviteLink: this.inviteLink, now: this.clock.now() };
  }

  /**
   * Creates a draft (version 1). Runs inside the caller's transaction when given one (idempotency).
   * One query reads every fact the checks need; the referral, its event, outbox and audit rows are
   * then one statement.
   */
  async create(
    principal: Principal,
    input: CreateReferralInput,
    tx?: EntityManager,
    followUp?: FollowUpLink,
  ): Promise<ReferralView> {
    // null counts as left out: `recipientInvite: null` is the shape's mistake, not an unknown recipient.
    if ((input.recipientId == null) === (input.recipientInvite == null)) {
      const message = 'give exactly one of recipientId and recipientInvite';
      throw AppError.validation([
        { field: 'recipientId', message },
        { field: 'recipientInvite', message },
      ]);
    }
    // The invite row and the referral commit together; redirects of one referral take turns on it.
    if ((input.recipientInvite || input.replacesId) && !tx) {
      return this.store.transaction((t) => this.create(principal, input, t, followUp));
    }
    const manager = tx ?? this.store.manager;
    if (input.replacesId) await this.store.lockReplaced(manager, input.replacesId);
    const scope = ClinicScope.of(principal);
    const senderId = namedSender(principal, input.senderId);
    const onBehalf = senderId !== principal.userId;
    // One instant for the whole create: the date its rules check and the time it records.
    const now = this.clock.now();
    const facts = await this.store.createFacts(
      scope,
      {
        patientId: input.patientId,
        namedSenderId: onBehalf ? senderId : null,
        recipientId: input.recipientId ?? null,
        replacesId: input.replacesId ?? null,
      },
      manager,
    );
    if (onBehalf && !facts.senderRole) {
      throw new AppError('not_found', 'The sender was not found in your clinic', {
        errors: [{ field: 'senderId', message: 'no such practitioner in your clinic' }],
      });
    }
    assertSenderRole(input.kind, onBehalf ? (facts.senderRole as Role) : principal.role);
    const redFlags = input.redFlags ?? [];
    assertRedFlagsUrgent(input.priority, redFlags);
    // A follow-up draft may start without a plan; sending needs one.
    if (input.kind === 'maintenance_massage' && !input.plan && !followUp) {
      throw AppError.validation([{ field: 'plan', message: 'is required for a maintenance_massage referral' }]);
    }
    if (input.kind === 'injury_care' && input.plan) {
      throw AppError.validation([{ field: 'plan', message: 'only a maintenance_massage referral has a plan' }]);
    }
    // Dates people type are days on their clinic's calendar: at 8 PM in Los Angeles tomorrow is
    // already today in UTC, and was refused as "not a future date".
    const clinicToday = calendarDayIn(now, facts.senderClinicTimezone);
    assertNeededByAhead(input.neededBy, clinicToday);
    assertPlanDates(input.plan, clinicToday);
    if (!facts.patientFound) {
      throw new AppError('not_found', 'The patient was not found', {
        errors: [{ field: 'patientId', message: 'no such patient in your clinic' }],
      });
    }
    if (input.recipientInvite) {
      if (input.recipientInvite.role !== KIND_ROLES[input.kind].recipient) {
        throw new AppError('recipient_type_mismatch', `A ${input.kind} referral goes to a ${KIND_ROLES[input.kind].recipient}`, {
          errors: [{ field: 'recipientInvite.role', message: `must be ${KIND_ROLES[input.kind].recipient}` }],
        });
      }
    } else {
      // No such user, or one invited who has not joined yet. Anyone who joined gets the rule they
      // fail (deactivated, wrong type, expired licence, not accepting), as a send of a draft does.
      if (!facts.recipientRole) {
        throw new AppError('not_found', 'The recipient was not found', {
          errors: [{ field: 'recipientId', message: 'no such practitioner' }],
        });
      }
      assertRecipientEligible(
        input.kind,
        {
          role: facts.recipientRole,
          active: facts.recipientActive === true,
          licenceExpiresOn: facts.recipientLicenceExpiresOn,
          clinicTimezone: facts.recipientClinicTimezone!,
          acceptingReferrals: facts.recipientAccepting === true,
        },
        now,
        'recipientId',
      );
    }
    if (input.replacesId) assertRedirectable(principal, facts, input.patientId);
    // An address alone proves nothing: even one of a directory practitioner gets an invite, never their account.
    const inviteId = input.recipientInvite ? await this.pendingInvite(manager, scope, input.recipientInvite) : null;

    const row = await this.store.insert(
      manager,
      {
        kind: input.kind,
        status: 'draft',
        patientId: input.patientId,
        senderId,
        senderClinicId: principal.clinicId,
        recipientId: input.recipientId ?? null,
        recipientClinicId: facts.recipientClinicId,
        recipientInviteId: inviteId,
        createdBy: principal.userId,
        priority: input.priority,
        reason: input.reason,
        bodyRegions: input.bodyRegions ?? [],
        redFlags,
        emergencyAdviceGiven: input.emergencyAdviceGiven ?? false,
        plan: input.plan ? storedPlan(input.plan) : null,
        replacesId: input.replacesId ?? null,
        // A redirect of a follow-up is a follow-up of the same referral.
        previousId: followUp?.previousId ?? (input.replacesId ? facts.replacedPreviousId : null),
        // Spread last: a literal that starts with one gets a hidden class per create (docs/architecture.md).
        ...inputColumns(input),
      },
      {
        type: 'created',
        fromStatus: null,
        toStatus: 'draft',
        actorId: principal.userId,
        data: input.replacesId ? { replacesId: input.replacesId } : followUp ? { previousId: followUp.previousId } : null,
      },
      { by: principal, action: 'referral.create', resourceType: 'referral' },
      now,
    );
    return this.view(row, principal);
  }

  async list(principal: Principal, query: ReferralQuery): Promise<Page<ReferralView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const admin = isClinicAdmin(principal);
    const box = query.box ?? (admin ? 'clinic' : undefined);
    if (box === 'clinic' && !admin) throw new AppError('forbidden', 'The clinic box is for clinic admins');
    const byPriority = query.sort === 'priority';
    // Urgent first is another order than by last change.
    const cursorList = byPriority ? 'referrals:priority' : 'referrals';
    let after: { rank?: number; ts: string; id: string } | undefined;
    // By priority, a referral that changes while the caller pages (a draft made routine) could sort
    // again below the pages read: the cursor keeps the first page's time, and later pages leave out
    // what changed since, as by last change, where it sorts above them.
    let changedBy: string | undefined;
    if (query.cursor && byPriority) {
      const [at, rank, ts, id] = decodeCursor(query.cursor, cursorList, ['timestamp', 'int', 'timestamp', 'uuid']);
      // 1 urgent, 0 routine: any other rank would start the routine rows from their top again.
      if (rank !== 0 && rank !== 1) throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid' }]);
      changedBy = at as string;
      after = { rank, ts: ts as string, id: id as string };
    } else {
      after = decodeTimestampKeyset(query.cursor, cursorList);
    }
    // Read before the first page's query: a change committed during it counts as made after.
    const firstPageAt = changedBy ?? cursorTimestampOf(this.clock.now());
    const rows = await this.store.box(ClinicScope.of(principal), {
      box: box === 'clinic' ? undefined : box,
      status: query.status,
      kind: query.kind,
      patientId: query.patientId,
      updatedSince: query.updatedSince,
      changedBy,
      byPriority,
      after,
      limit,
    });
    const page = pageOf(
      rows,
      limit,
      (row) => (byPriority ? [firstPageAt, row.priority === 'urgent' ? 1 : 0, row.cursorTs, row.id] : [row.cursorTs, row.id]),
      cursorList,
    );
    await this.audit.record({
      by: principal,
      action: 'referral.list',
      resourceType: 'referral',
      details: { count: page.rows.length, box: box ?? 'all', ids: page.rows.map((r) => r.id) },
      partyClinics: partyClinicsOfPage(page.rows),
    });
    return { items: this.views(page.rows, principal), nextCursor: page.nextCursor };
  }

  /** One referral with its timeline and attachments. The recipient's first read acknowledges it. */
  async get(principal: Principal, id: string): Promise<ReferralView> {
    const base = await this.visibleBase(principal, id, this.store.manager, 'referral.read');
    const acknowledged =
      base.status === 'sent' && base.recipientId === principal.userId
        ? await this.store.acknowledge(id, principal.userId, this.clock.now())
        : undefined;
    await this.audit.record({
      by: principal,
      action: 'referral.read',
      resourceType: 'referral',
      resourceId: id,
      partyClinics: partyClinicsOf(base),
    });
    const row = acknowledged ?? (await this.store.detailed(id));
    if (!row) throw notFound('referral');
    return this.view(row, principal);
  }

  /** The timeline, oldest first, keyset-paged on (occurredAt, id). */
  events(principal: Principal, id: string, query: PageRequest): Promise<Page<ReferralEventView>> {
    return this.readList(principal, id, query, 'events', async (after, limit) =>
      (await this.store.timelinePage(id, after, limit)).map((row) => ({ item: eventView(row.event), cursorTs: row.cursorTs })),
    );
  }

  /** The progress reports, oldest first, keyset-paged on (reportedAt, id). */
  progress(principal: Principal, id: string, query: PageRequest): Promise<Page<ProgressView>> {
    return this.readList(principal, id, query, 'progress', async (after, limit) =>
      (await this.store.progressPage(id, after, limit)).map((row) => ({ item: row.report, cursorTs: row.cursorTs })),
    );
  }

  /**
   * A page of one of a referral's lists (`list`: its name in the cursor and the audit action
   * `referral.read_<list>`), for whoever may see the referral. A cursor names its referral's list.
   */
  private async readList<T extends { id: string }>(
    principal: Principal,
    id: string,
    query: PageRequest,
    list: 'events' | 'progress',
    read: (after: { ts: string; id: string } | undefined, limit: number) => Promise<{ item: T; cursorTs: string }[]>,
  ): Promise<Page<T>> {
    const action = `referral.read_${list}` as const;
    const base = await this.visibleBase(principal, id, this.store.manager, action);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursorList = `${list}:${base.id}`;
    const rows = await read(decodeTimestampKeyset(query.cursor, cursorList), limit);
    await this.audit.record({
      by: principal,
      action,
      resourceType: 'referral',
      resourceId: id,
      partyClinics: partyClinicsOf(base),
    });
    return toPage(
      rows,
      limit,
      (row) => row.item,
      (row) => [row.cursorTs, row.item.id],
      cursorList,
    );
  }

  /**
   * Performs a lifecycle action. Checks, in order: visibility (404), version (409 stale_version),
   * state (409 invalid_transition), party (403), body fields (400), business rules (422). The state
   * change, its timeline event, its outbox row and the audit row are one statement, so they commit
   * together; it also answers the updated view. Two round trips: the checks' read and that write.
   */
  async act(
    principal: Principal,
    id: string,
    action: ReferralAction,
    input: ReferralActionInput,
    ifMatch?: number,
  ): Promise<ReferralView> {
    const base = await this.visibleBase(principal, id, this.store.manager, `referral.${action}`);
    const parties = partiesOf(principal, base);
    const expected = expectedVersion(input.version, ifMatch);
    if (expected !== base.version) throw staleVersion(base);
    const check = checkTransition(base.status, action, parties);
    if (!check.ok && check.reason === 'invalid_transition') {
      throw new AppError('invalid_transition', `"${action}" is not possible while the referral is ${base.status}`, {
        currentStatus: base.status,
        allowedActions: this.offered(base, parties),
      });
    }
    if (!check.ok)
      throw new AppError('forbidden', `Only the ${check.by} (or an admin of their clinic) may ${action} this referral`);
    const { transition, next } = check;
    const now = this.clock.now();
    validateFields(action, transition.fields, input, now);
    if (action === 'reschedule' && base.appointmentAt?.getTime() === new Date(input.appointmentAt as string).getTime()) {
      throw AppError.validation([{ field: 'appointmentAt', message: 'is the current appointment: nothing to move' }]);
    }
    // Nobody can have missed an appointment that is still to come (the sender would read "did not come").
    if (
      action === 'unschedule' &&
      input.reason === 'no_show' &&
      base.appointmentAt &&
      base.appointmentAt.getTime() > now.getTime()
    ) {
      throw AppError.validation([
        { field: 'reason', message: 'no_show is for an appointment that has passed: this one is still to come' },
      ]);
    }
    this.assertBusinessRules(action, base);

    const row = await this.store.applyAction(
      id,
      expected,
      base.status,
      next,
      transition,
      {
        now,
        appointmentAt: input.appointmentAt ? new Date(input.appointmentAt) : null,
        outcome: input.outcome ? storedOutcome(input.outcome, now) : undefined,
        progress: input.progress,
      },
      {
        type: transition.event,
        fromStatus: base.status,
        toStatus: next,
        actorId: principal.userId,
        reason: input.reason ?? null,
        note: input.note ?? null,
        data: eventData(action, input, base),
        // The recipient's side learns of a referral sent to an invite when they join (recipient_joined).
        outboxData: action === 'send' && base.recipientId === null ? { sentTo: 'invite' } : undefined,
      },
      { by: principal, action: `referral.${action}`, resourceType: 'referral' },
    );
    // Someone else changed it between our read and this update: nothing was written.
    if (!row) {
      const current = await this.store.base(id);
      throw current ? staleVersion(current) : notFound('referral');
    }
    return this.view(row, principal);
  }

  /**
   * The open referrals of the admin's clinic whose own-side practitioner is deactivated: sent by
   * one (drafts included) or sent to one. Keyset-paged like the boxes, newest change first.
   */
  async unowned(principal: Principal, query: { cursor?: string; limit?: number }): Promise<Page<ReferralView>> {
    if (!isClinicAdmin(principal)) throw new AppError('forbidden', 'Only an admin of the clinic may see its unowned referrals');
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.store.unowned(ClinicScope.of(principal), decodeTimestampKeyset(query.cursor, 'unowned'), limit);
    const page = pageOf(rows, limit, (row) => [row.cursorTs, row.id], 'unowned');
    await this.audit.record({
      by: principal,
      action: 'referral.list_unowned',
      resourceType: 'referral',
      // Which referrals (and so patients) were read, as for the boxes; their other clinics see their share.
      details: { count: page.rows.length, ids: page.rows.map((r) => r.id) },
      partyClinics: partyClinicsOfPage(page.rows),
    });
    return { items: this.views(page.rows, principal), nextCursor: page.nextCursor };
  }

  /**
   * An admin hands their clinic's side of an open referral (the sender's or the recipient's) to
   * another active practitioner of that side's role in their clinic. One timeline event
   * `reassigned` with both practitioners; the new owner is notified, and the previous one while active.
   */
  async reassign(principal: Principal, id: string, input: ReassignInput): Promise<ReferralView> {
    const base = await this.visibleBase(principal, id, this.store.manager, 'referral.reassign');
    if (!isClinicAdmin(principal)) throw new AppError('forbidden', 'Only an admin of the clinic may reassign a referral');
    if (expectedVersion(input.version, input.ifMatch) !== base.version) throw staleVersion(base);
    const parties = partiesOf(principal, base).filter((party) =>
      party === 'sender' ? base.senderClinicId === principal.clinicId : base.recipientClinicId === principal.clinicId,
    );
    if (TERMINAL_STATUSES.includes(base.status)) {
      throw new AppError('invalid_transition', `A ${base.status} referral cannot be reassigned`, {
        currentStatus: base.status,
        allowedActions: this.offered(base, parties),
      });
    }
    const target = await this.store.clinicUser(ClinicScope.of(principal), input.practitionerId);
    if (!target) {
      throw new AppError('not_found', 'The practitioner was not found in your clinic', {
        errors: [{ field: 'practitionerId', message: 'no such practitioner in your clinic' }],
      });
    }
    const side = parties.find((party: Party) => KIND_ROLES[base.kind][party] === target.role);
    if (!side) {
      const roles = parties.map((party) => KIND_ROLES[base.kind][party]).join(' or ');
      const code = parties.includes('recipient') ? 'recipient_type_mismatch' : 'sender_role_mismatch';
      throw new AppError(code, `Your clinic's side of this referral needs a ${roles}`, {
        errors: [{ field: 'practitionerId', message: `must be a ${roles}` }],
      });
    }
    if (target.deactivated || !target.joined) throw inactivePractitioner();
    const now = this.clock.now();
    if (side === 'recipient' && licenceLapsed(target.licenceExpiresOn, target.clinicTimezone, now)) {
      throw new AppError('licence_expired', "The practitioner's licence has expired");
    }
    const from = side === 'sender' ? base.senderId : base.recipientId;
    if (from === input.practitionerId) {
      throw AppError.validation([{ field: 'practitionerId', message: `is already the ${side} of this referral` }]);
    }
    const row = await this.store.reassign(
      id,
      base.version,
      side,
      input.practitionerId,
      {
        type: 'reassigned',
        fromStatus: base.status,
        toStatus: base.status,
        actorId: principal.userId,
        data: { side, fromPractitionerId: from, toPractitionerId: input.practitionerId },
        outboxData: { side, ...(from && { fromPractitionerId: from }), toPractitionerId: input.practitionerId },
      },
      { by: principal, action: 'referral.reassign', resourceType: 'referral' },
      now,
    );
    if (!row) {
      const current = await this.store.base(id);
      if (!current) throw notFound('referral');
      // The version still matches: it was the practitioner who was deactivated meanwhile.
      throw current.version === base.version ? inactivePractitioner() : staleVersion(current);
    }
    return this.view(row, principal);
  }

  /** The referral's current state for a caller who may see it; 404 (audited) otherwise. */
  async visibleBase(principal: Principal, id: string, manager: EntityManager, action: AuditAction): Promise<BaseRow> {
    // Only a missing row is a 404: a database error stays an error (never audited as not_found).
    const base = await this.store.base(id, manager);
    if (!base || partiesOf(principal, base).length === 0) {
      await this.audit.record({ by: principal, action, resourceType: 'referral', resourceId: id, outcome: 'not_found' });
      throw notFound('referral');
    }
    return base;
  }

  /**
   * The sender clinic's pending invite of this address, made now if there is none (so a second
   * referral to a pending address shares the first one's invite and link). Answers its id. An address
   * of someone at the sender clinic is refused (400 naming `recipientInvite.email`).
   */
  async pendingInvite(manager: EntityManager, scope: ClinicScope, invite: RecipientInviteInput): Promise<string> {
    const id = randomUUID();
    const token = referralInviteToken(this.config.jwt.secret, id, 1);
    const row = await this.store.pendingInvite(manager, scope, { id, ...invite, tokenHash: sha256(token) });
    if (!row) {
      throw AppError.validation([
        {
          field: 'recipientInvite.email',
          message: 'belongs to someone at your clinic: a join link is for a colleague outside it',
        },
      ]);
    }
    if (row.role !== invite.role) {
      throw new AppError('recipient_type_mismatch', `This address was invited as a ${row.role}`, {
        errors: [{ field: 'recipientInvite.role', message: `was invited as ${row.role}` }],
      });
    }
    return row.id;
  }

  /**
   * A new join link for the pending invite of a sent or draft referral (sender side): the previous
   * link stops working, and a sent referral's invitee is emailed the new one (outbox). Like every
   * action it needs the version the caller read (409 `stale_version` when the referral moved on), so
   * repeats of one click make one link and one email.
   */
  async resendInvite(principal: Principal, id: string, input: VersionInput): Promise<ReferralView> {
    const base = await this.visibleBase(principal, id, this.store.manager, 'referral.resend_invite');
    const expected = expectedVersion(input.version, input.ifMatch);
    if (expected !== base.version) throw staleVersion(base);
    const parties = partiesOf(principal, base);
    if (!parties.includes('sender')) {
      throw new AppError('forbidden', 'Only the sender (or an admin of their clinic) may resend the invitation');
    }
    if (!base.recipientInviteId || base.recipientId) {
      throw new AppError('invalid_transition', 'This referral has no pending invitation', {
        currentStatus: base.status,
        allowedActions: this.offered(base, parties),
      });
    }
    if (!inviteLinkWorks(base.status)) {
      throw new AppError('invalid_transition', `This referral is ${base.status}: its invitation can no longer be used`, {
        currentStatus: base.status,
        allowedActions: this.offered(base, parties),
      });
    }
    const inviteId = base.recipientInviteId;
    await this.store.transaction(async (tx) => {
      const invite = await this.store.lockPendingInvite(tx, inviteId);
      if (!invite) {
        throw new AppError('invalid_transition', 'The invitee has joined meanwhile', {
          currentStatus: base.status,
          allowedActions: this.offered(base, parties),
        });
      }
      const version = invite.tokenVersion + 1;
      await this.store.setInviteToken(
        tx,
        inviteId,
        version,
        sha256(referralInviteToken(this.config.jwt.secret, inviteId, version)),
      );
      // Who made a new link, and when, for the sender's colleagues (the old link stopped working).
      if (!(await this.store.inviteResent(tx, id, principal.userId, this.clock.now(), expected))) {
        const current = await this.store.base(id, tx);
        throw current ? staleVersion(current) : notFound('referral');
      }
      // The link is shared by the invite's referrals: once one was sent, its invitee has an old link
      // that just stopped working, so they get the new one (about that referral, when this is a draft).
      const announced = base.sentAt ? id : invite.sentReferralId;
      if (announced) {
        await this.store.announce(tx, {
          type: REFERRAL_INVITE_RESENT_EVENT,
          referralId: announced,
          payload: { inviteId, tokenVersion: version },
        });
      }
    });
    await this.audit.record({
      by: principal,
      action: 'referral.resend_invite',
      resourceType: 'referral',
      resourceId: id,
      partyClinics: partyClinicsOf(base),
    });
    const row = await this.store.detailed(id);
    if (!row) throw notFound('referral');
    return this.view(row, principal);
  }

  /** The invite of a join link, for the sign-up page to pre-fill: no referral, no patient. */
  async lookupInvite(token: string): Promise<RecipientInviteInput> {
    const row = await this.store.inviteByToken(sha256(token));
    if (!row) throw invalidInviteToken('token');
    return { email: row.email, fullName: row.fullName, role: row.role as PractitionerRole };
  }

  /**
   * Someone joined through an invite's link (inside their sign-up transaction): they become the
   * recipient of its referrals. Sent ones stay `sent` (the response clock unchanged) with a
   * `recipient_joined` event that tells both sides; drafts simply name them. The link is single-use.
   */
  async joinInvite(
    tx: EntityManager,
    token: string,
    user: { id: string; clinicId: string; role: Role; licenceExpiresOn: string | null; clinicTimezone: string },
  ): Promise<void> {
    const now = this.clock.now();
    const invite = await this.store.joinInvite(tx, sha256(token), user.id, now);
    if (!invite) throw invalidInviteToken('invitationToken');
    if (invite.role !== user.role) {
      throw AppError.validation([{ field: 'admin.practitioner.role', message: `must be ${invite.role}, as invited` }]);
    }
    // As a claim: a recipient with an expired licence could never accept the referrals (nothing is registered).
    if (licenceLapsed(user.licenceExpiresOn, user.clinicTimezone, now)) {
      throw new AppError('licence_expired', 'Your licence has expired: a referral needs a current licence to be accepted', {
        errors: [{ field: 'admin.practitioner.licence.expiresOn', message: 'has passed' }],
      });
    }
    await this.store.attachJoinedRecipient(tx, invite.id, user, 'signed_up', now);
  }

  /**
   * A practitioner already on ReferLoop takes the referrals of a join link sent to them (they joined
   * before, or with another address): as a join, in one transaction. Not their own clinic's link
   * (the sender opening the link they hand over), and only for the role it invites.
   */
  async claimInvite(principal: Principal, token: string): Promise<void> {
    if (!(PRACTITIONER_ROLES as readonly string[]).includes(principal.role)) {
      throw new AppError(
        'forbidden',
        'Referrals are received by practitioners; sign in as the practitioner the link was sent to',
      );
    }
    // As a create checks its recipient: a referral taken with an expired licence could never be accepted.
    const claimer = await this.store.clinicUser(ClinicScope.of(principal), principal.userId);
    if (!claimer || licenceLapsed(claimer.licenceExpiresOn, claimer.clinicTimezone, this.clock.now())) {
      throw new AppError('licence_expired', 'Your licence has expired: renew it in your profile before taking a referral');
    }
    await this.store.transaction(async (tx) => {
      const now = this.clock.now();
      const invite = await this.store.joinInvite(tx, sha256(token), principal.userId, now);
      if (!invite) throw invalidInviteToken('token');
      if (invite.senderClinicId === principal.clinicId) {
        throw new AppError('forbidden', 'This link is for the colleague your clinic referred: hand it over to them');
      }
      if (invite.role !== principal.role) {
        throw new AppError('recipient_type_mismatch', `This link is for a ${invite.role}`, {
          errors: [{ field: 'token', message: `is for a ${invite.role}` }],
        });
      }
      await this.store.attachJoinedRecipient(
        tx,
        invite.id,
        { id: principal.userId, clinicId: principal.clinicId },
        'member',
        now,
      );
    });
  }

  /** Consent and the parties' roles and licences: read with the base row, checked here in order. */
  private assertBusinessRules(action: ReferralAction, base: BaseRow): void {
    const now = this.clock.now();
    const recipient: RecipientFacts = {
      role: base.recipientRole as Role,
      active: base.recipientActive,
      licenceExpiresOn: base.recipientLicenceExpiresOn,
      clinicTimezone: base.recipientClinicTimezone as string,
      acceptingReferrals: base.recipientAccepting,
    };
    if (action === 'send') {
      if (!base.hasSharingConsent)
        throw new AppError('consent_required', "Record the patient's referral_sharing consent before sending", {
          errors: [{ field: 'patientId', message: 'has no active referral_sharing consent' }],
        });
      assertSenderRole(base.kind, base.senderRole);
      if (base.kind === 'maintenance_massage' && !base.hasPlan) {
        throw AppError.validation([{ field: 'plan', message: 'is required to send a maintenance_massage referral' }]);
      }
      assertEmergencyAdvice(base.redFlags, base.emergencyAdviceGiven);
      // Someone not on ReferLoop yet: sending emails them the invitation (the notifications worker).
      if (base.recipientInviteId && !base.recipientId) return;
      assertRecipientEligible(base.kind, recipient, now, 'recipientId');
    }
    if (action === 'accept') {
      if (licenceLapsed(recipient.licenceExpiresOn, recipient.clinicTimezone, now)) {
        throw new AppError('licence_expired', 'A practitioner with an expired licence cannot accept referrals');
      }
    }
  }
}

/** The outcome as stored: every measure present, stamped with when it was sent. */
function storedOutcome(given: OutcomeInput, now: Date): ReferralOutcome {
  return {
    summary: given.summary,
    recommendations: given.recommendations ?? null,
    painLevel: given.painLevel ?? null,
    psfs: given.psfs ?? null,
    visits: given.visits ?? null,
    recommendMaintenance: given.recommendMaintenance ?? false,
    sentAt: now.toISOString(),
  };
}

/**
 * The sender a create is for: the caller, unless an admin names another practitioner of their
 * clinic. A non-admin naming someone else is 403; a clinic_admin (not a practitioner) naming no one is 400.
 */
function namedSender(principal: Principal, senderId: string | undefined): string {
  if (senderId && senderId !== principal.userId) {
    if (!isClinicAdmin(principal)) {
      throw new AppError('forbidden', 'A practitioner sends referrals as themself; only a clinic admin may name another sender');
    }
    return senderId;
  }
  if (principal.role === 'clinic_admin') {
    throw AppError.validation([
      { field: 'senderId', message: 'a clinic admin must name the practitioner the referral is sent for' },
    ]);
  }
  return principal.userId;
}

/**
 * Only the sender side of a declined, cancelled or expired referral may redirect it, once (a
 * cancelled redirect does not count), and for the same patient.
 */
export function assertRedirectable(principal: Principal, facts: CreateFacts, patientId: string): void {
  const old = facts.replacedStatus;
  const parties = old
    ? partiesOf(principal, {
        senderId: facts.replacedSenderId as string,
        senderClinicId: facts.replacedSenderClinicId as string,
        recipientId: facts.replacedRecipientId,
        recipientClinicId: facts.replacedRecipientClinicId,
        sentAt: facts.replacedSentAt,
      })
    : [];
  if (!old || !parties.includes('sender')) {
    throw new AppError('not_found', 'The referral to redirect was not found', {
      errors: [{ field: 'replacesId', message: 'no such referral of yours' }],
    });
  }
  if (!REDIRECTABLE_STATUSES.includes(old)) {
    throw new AppError(
      'not_redirectable',
      `A ${old} referral cannot be redirected; only declined, cancelled or expired ones can`,
      {
        currentStatus: old,
        errors: [{ field: 'replacesId', message: `is ${old}: only a declined, cancelled or expired referral can be redirected` }],
      },
    );
  }
  assertSamePatient(facts.replacedPatientId, patientId);
  if (facts.replacementId) {
    throw new AppError(
      'not_redirectable',
      'This referral was already redirected; redirect that referral instead if it is declined',
      {
        currentStatus: old,
        replacementId: facts.replacementId,
        errors: [{ field: 'replacesId', message: 'was already redirected' }],
      },
    );
  }
}

/** A redirect sends the patient of the referral it replaces elsewhere: another patient is a new referral. */
export function assertSamePatient(replacedPatientId: string | null, patientId: string): void {
  if (replacedPatientId !== null && replacedPatientId !== patientId) {
    throw new AppError('not_redirectable', 'A redirect is for the patient of the referral it redirects', {
      errors: [{ field: 'patientId', message: 'must be the patient of the referral it redirects' }],
    });
  }
}

const FIELDS: ActionField[] = ['note', 'reason', 'appointmentAt', 'outcome', 'progress'];
/** How far ahead an appointment is booked: beyond it, a date is a typo (9999-12-31), not a booking. */
const MAX_BOOKING_AHEAD_MS = 2 * 366 * 24 * 3600_000;

/** Required fields present, and no field the action does not take. */
export function validateFields(
  action: ReferralAction,
  rules: Partial<Record<ActionField, 'required' | 'optional'>>,
  input: ReferralActionInput,
  now: Date,
): void {
  const errors = FIELDS.flatMap((field) => {
    const present = input[field] !== undefined && input[field] !== null;
    if (rules[field] === 'required' && !present) return [{ field, message: `is required to ${action}` }];
    if (!rules[field] && present) return [{ field, message: `is not taken by ${action}` }];
    return [];
  });
  if ((action === 'schedule' || action === 'reschedule') && input.appointmentAt) {
    const at = new Date(input.appointmentAt).getTime();
    if (at <= now.getTime()) errors.push({ field: 'appointmentAt', message: 'must be in the future' });
    else if (at > now.getTime() + MAX_BOOKING_AHEAD_MS)
      errors.push({ field: 'appointmentAt', message: 'must be within two years' });
  }
  // A no-show removes the appointment (the sender sees "removed"); a reschedule only moves it.
  if (action === 'reschedule' && input.reason === 'no_show') {
    errors.push({ field: 'reason', message: 'no_show is not a move: unschedule instead' });
  }
  if (errors.length) throw AppError.validation(errors);
}

function eventData(action: ReferralAction, input: ReferralActionInput, base: BaseRow): Record<string, unknown> | null {
  if (action === 'schedule') return { appointmentAt: new Date(input.appointmentAt as string).toISOString() };
  if (action === 'reschedule') {
    return {
      previousAppointmentAt: base.appointmentAt?.toISOString() ?? null,
      appointmentAt: new Date(input.appointmentAt as string).toISOString(),
    };
  }
  // The patient is told which appointment was removed.
  if (action === 'unschedule') return { previousAppointmentAt: base.appointmentAt?.toISOString() ?? null };
  if (action === 'send-outcome') return { outcome: input.outcome };
  return null;
}

/** A timeline's cursors name their referral: one of another referral's is refused, not read as a position here. */
