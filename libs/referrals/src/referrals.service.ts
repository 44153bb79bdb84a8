import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  AppError,
  Clock,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  isClinicAdmin,
  type Page,
  PRACTITIONER_ROLES,
  type Principal,
  type ReferralKind,
  type PractitionerRole,
  type Role,
} from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { appendOutbox, outboxInsertSql, queryRows, SqlParams } from '@referloop/database';
import { type AuditEntry, AuditLog, referralInviteToken, referralInviteUrl, sha256, todayIso } from '@referloop/identity';
import { DataSource, type EntityManager } from 'typeorm';
import type { ReferralOutcome } from './entities/referral.entity';
import { type MaintenancePlanInput, storedPlan } from './maintenance-plan';
import { partiesOfRow, partyClinicsOf, partyClinicsOfPage } from './referral-access';
import {
  assertRecipientEligible,
  assertEmergencyAdvice,
  assertRedFlagsUrgent,
  assertSenderRole,
  KIND_ROLES,
  type RecipientFacts,
} from './referral-rules';
import {
  detailedReferralViewSql,
  type InviteLink,
  REFERRAL_VIEW_SELECT,
  referralListSelect,
  type ReferralRow,
  referralView,
  type TimelineJson,
  timelineJsonSql,
  timelineView,
} from './referral-rows';
import type { ReferralEventView, ReferralView } from './referral.views';
import {
  type ActionField,
  allowedActions,
  checkTransition,
  type Party,
  REDIRECTABLE_STATUSES,
  type ReferralAction,
  type ReferralEventType,
  type ReferralStatus,
  TERMINAL_STATUSES,
} from './state-machine/referral-state-machine';

export interface CreateReferralInput {
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
  observations?: string | null;
  painLevel?: number | null;
  onsetDate?: string | null;
  neededBy?: string | null;
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
}

export interface OutcomeInput {
  summary: string;
  recommendations?: string | null;
  painLevel?: number | null;
  psfs?: number | null;
  visits?: number | null;
  recommendMaintenance?: boolean | null;
}

export interface ReassignInput {
  practitionerId: string;
  version?: number;
}

export type ReferralBox = 'sent' | 'received' | 'clinic';

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

/** 1 for urgent, 0 for routine: `sort=priority` orders by it first, and its cursor carries it. */
const priorityRank = (column: string) => `(CASE WHEN ${column} = 'urgent' THEN 1 ELSE 0 END)`;

/** A referral's state and parties, with the facts the business rules of its actions read. */
interface BaseRow {
  id: string;
  status: ReferralStatus;
  version: number;
  kind: ReferralKind;
  patient_id: string;
  sender_id: string;
  sender_clinic_id: string;
  recipient_id: string | null;
  recipient_clinic_id: string | null;
  recipient_invite_id: string | null;
  sent_at: Date | null;
  appointment_at: Date | null;
  sender_role: Role;
  /** Null (with the other recipient facts) while the recipient is a pending invite. */
  recipient_role: Role | null;
  recipient_licence_expires_on: string | null;
  recipient_accepting: boolean;
  recipient_active: boolean;
  has_sharing_consent: boolean;
  has_plan: boolean;
  red_flags: string[];
  emergency_advice_given: boolean;
}

/** What creating a referral checks, read in one query. Columns are null when the row does not exist. */
interface CreateFacts {
  patient_found: boolean;
  /** Only looked up when an admin names another sender (an active user of the admin's clinic). */
  sender_role: Role | null;
  /** The recipient as the directory lists them (a practitioner, licensed today, who joined); null otherwise. */
  recipient_role: Role | null;
  recipient_clinic_id: string | null;
  recipient_licence_expires_on: string | null;
  recipient_accepting: boolean | null;
  replaced_status: ReferralStatus | null;
  replaced_sender_id: string | null;
  replaced_sender_clinic_id: string | null;
  replaced_recipient_id: string | null;
  replaced_recipient_clinic_id: string | null;
  replaced_sent_at: Date | null;
}

/** A timeline event about to be appended; its referral is the row the same statement changes. */
interface NewEvent {
  type: ReferralEventType;
  fromStatus: ReferralStatus | null;
  toStatus: ReferralStatus;
  actorId: string | null;
  reason?: string | null;
  note?: string | null;
  data?: Record<string, unknown> | null;
  /** Ids the notifications worker needs beyond the statuses and the actor (never PHI). */
  outboxData?: Record<string, string>;
}

/** A user a referral side may be handed to, as {@link ReferralsService.reassign} checks it. */
interface ReassignTarget {
  role: Role;
  deactivated: boolean;
  joined: boolean;
  licence_expires_on: string | null;
}

/** The statements of the referral paths have fixed texts (one per action at most): prepared once per connection. */
const PREPARED = { prepare: true };

const notFound = () => new AppError('not_found', 'The referral was not found');

const invalidInviteToken = () =>
  AppError.validation([{ field: 'invitationToken', message: 'is not a valid invitation link, or was already used' }]);

/** Outbox event of a new join link for a sent referral's invitee: the worker emails it. */
export const REFERRAL_INVITE_RESENT_EVENT = 'referral_invite.resent';

@Injectable()
export class ReferralsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The join link of a pending invite, as the sender's side sees it. */
  readonly inviteLink: InviteLink = (inviteId, tokenVersion) =>
    referralInviteUrl(this.config.publicUrl, referralInviteToken(this.config.jwt.secret, inviteId, tokenVersion));

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
    if ((input.recipientId === undefined) === (input.recipientInvite === undefined)) {
      const message = 'give exactly one of recipientId and recipientInvite';
      throw AppError.validation([
        { field: 'recipientId', message },
        { field: 'recipientInvite', message },
      ]);
    }
    // The invite row and the referral commit together.
    if (input.recipientInvite && !tx) return this.db.transaction((t) => this.create(principal, input, t, followUp));
    const manager = tx ?? this.db.manager;
    const senderId = namedSender(principal, input.senderId);
    const onBehalf = senderId !== principal.userId;
    const facts = await this.createFacts(principal, input, onBehalf ? senderId : null, manager);
    if (onBehalf && !facts.sender_role) {
      throw new AppError('not_found', 'The sender was not found in your clinic', {
        errors: [{ field: 'senderId', message: 'no such practitioner in your clinic' }],
      });
    }
    assertSenderRole(input.kind, onBehalf ? (facts.sender_role as Role) : principal.role);
    const redFlags = input.redFlags ?? [];
    assertRedFlagsUrgent(input.priority, redFlags);
    // A follow-up draft may start without a plan; sending needs one.
    if (input.kind === 'maintenance_massage' && !input.plan && !followUp) {
      throw AppError.validation([{ field: 'plan', message: 'is required for a maintenance_massage referral' }]);
    }
    if (input.kind === 'injury_care' && input.plan) {
      throw AppError.validation([{ field: 'plan', message: 'only a maintenance_massage referral has a plan' }]);
    }
    const today = todayIso(this.clock.now());
    if (input.neededBy && input.neededBy <= today) {
      throw AppError.validation([{ field: 'neededBy', message: 'must be a future date' }]);
    }
    if (!facts.patient_found) {
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
      // Anyone the caller could not find in the directory (no such user, an admin, an expired licence,
      // an invitation not yet accepted) gets this same answer: it tells nothing about who exists.
      if (!facts.recipient_role) {
        throw new AppError('not_found', 'The recipient was not found', {
          errors: [{ field: 'recipientId', message: 'no such practitioner' }],
        });
      }
      assertRecipientEligible(
        input.kind,
        {
          role: facts.recipient_role,
          licenceExpiresOn: facts.recipient_licence_expires_on,
          acceptingReferrals: facts.recipient_accepting === true,
        },
        today,
      );
    }
    if (input.replacesId) assertRedirectable(principal, facts);
    // An address alone proves nothing: even one of a directory practitioner gets an invite, never their account.
    const inviteId = input.recipientInvite ? await this.pendingInvite(manager, principal.clinicId, input.recipientInvite) : null;

    const columns: Record<string, unknown> = {
      kind: input.kind,
      status: 'draft',
      patient_id: input.patientId,
      sender_id: senderId,
      sender_clinic_id: principal.clinicId,
      recipient_id: input.recipientId ?? null,
      recipient_clinic_id: facts.recipient_clinic_id,
      recipient_invite_id: inviteId,
      created_by: principal.userId,
      priority: input.priority,
      reason: input.reason,
      body_regions: input.bodyRegions ?? [],
      observations: input.observations ?? null,
      pain_level: input.painLevel ?? null,
      onset_date: input.onsetDate ?? null,
      needed_by: input.neededBy ?? null,
      red_flags: redFlags,
      emergency_advice_given: input.emergencyAdviceGiven ?? false,
      plan: input.plan ? storedPlan(input.plan) : null,
      replaces_id: input.replacesId ?? null,
      previous_id: followUp?.previousId ?? null,
    };
    const params = new SqlParams();
    const insert = `INSERT INTO referrals (${Object.keys(columns).join(', ')})
       VALUES (${Object.values(columns)
         .map((value) => params.add(value))
         .join(', ')}) RETURNING *`;
    const row = await this.commitChange(
      manager,
      params,
      insert,
      {
        type: 'created',
        fromStatus: null,
        toStatus: 'draft',
        actorId: principal.userId,
        data: input.replacesId ? { replacesId: input.replacesId } : followUp ? { previousId: followUp.previousId } : null,
      },
      { action: 'referral.create', resourceType: 'referral' },
    );
    if (!row) throw new Error('INSERT … RETURNING answered no row');
    return referralView(row, principal, this.inviteLink);
  }

  async list(principal: Principal, query: ReferralQuery): Promise<Page<ReferralView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const admin = isClinicAdmin(principal);
    const box = query.box ?? (admin ? 'clinic' : undefined);
    if (box === 'clinic' && !admin) throw new AppError('forbidden', 'The clinic box is for clinic admins');

    // Each branch is a keyset scan of one index; UNION merges the two sides of a box.
    const params: unknown[] = [];
    const p = (value: unknown) => `$${params.push(value)}`;
    const filters: string[] = [];
    if (query.status?.length) filters.push(`status = ANY(${p(query.status)})`);
    if (query.kind) filters.push(`kind = ${p(query.kind)}`);
    if (query.patientId) filters.push(`patient_id = ${p(query.patientId)}`);
    if (query.updatedSince) filters.push(`updated_at >= ${p(query.updatedSince)}`);
    const byPriority = query.sort === 'priority';
    if (query.cursor && byPriority) {
      const [rank, ts, id] = decodeCursor(query.cursor, ['number', 'timestamp', 'uuid']);
      filters.push(`(${priorityRank('priority')}, updated_at, id) < (${p(rank)}::int, ${p(ts)}::timestamptz, ${p(id)}::uuid)`);
    } else if (query.cursor) {
      const [ts, id] = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      filters.push(`(updated_at, id) < (${p(ts)}::timestamptz, ${p(id)}::uuid)`);
    }
    const owner = p(admin ? principal.clinicId : principal.userId);
    const sentSide = admin ? `sender_clinic_id = ${owner}` : `sender_id = ${owner}`;
    // The recipient side sees only what was sent (a draft cancelled before sending stays the sender's).
    const receivedSide = `${admin ? 'recipient_clinic_id' : 'recipient_id'} = ${owner} AND sent_at IS NOT NULL`;
    const sides = box === 'sent' ? [sentSide] : box === 'received' ? [receivedSide] : [sentSide, receivedSide];
    const lim = p(limit + 1);
    const order = byPriority ? 'rank DESC, updated_at DESC, id DESC' : 'updated_at DESC, id DESC';
    const branch = (side: string) =>
      `(SELECT id, updated_at, ${priorityRank('priority')} AS rank FROM referrals WHERE ${[side, ...filters].join(' AND ')} ORDER BY ${order} LIMIT ${lim})`;
    const page = `SELECT id FROM (${sides.map(branch).join(' UNION ')}) page ORDER BY ${order} LIMIT ${lim}`;
    // One statement for the page and its view. Prepared (one text per combination of filters): its
    // generic plan joins the page's rows by primary key, where planning each call cost more than
    // running it and a custom plan hashed whole tables for 50 rows.
    const rows = await queryRows<ReferralRow>(
      this.db.manager,
      `${referralListSelect(`${p(principal.userId)}::uuid`)} WHERE r.id IN (${page}) ORDER BY ${byPriority ? `${priorityRank('r.priority')} DESC, ` : ''}r.updated_at DESC, r.id DESC`,
      params,
      PREPARED,
    );
    const hasMore = rows.length > limit;
    const ordered = rows.slice(0, limit);
    await this.audit.record({
      action: 'referral.list',
      resourceType: 'referral',
      details: { count: ordered.length, box: box ?? 'all', ids: ordered.map((r) => r.id) },
      partyClinics: partyClinicsOfPage(ordered),
    });
    const last = ordered[ordered.length - 1];
    return {
      items: ordered.map((r) => referralView(r, principal, this.inviteLink)),
      nextCursor:
        hasMore && last
          ? encodeCursor(byPriority ? [last.priority === 'urgent' ? 1 : 0, last.cursor_ts, last.id] : [last.cursor_ts, last.id])
          : null,
    };
  }

  /** One referral with its timeline and attachments. The recipient's first read acknowledges it. */
  async get(principal: Principal, id: string): Promise<ReferralView> {
    const base = await this.visibleBase(principal, id, this.db.manager, 'referral.read');
    let acknowledged: ReferralRow | undefined;
    if (base.status === 'sent' && base.recipient_id === principal.userId) {
      const params = new SqlParams();
      // Conditional on the status, so two first reads at once acknowledge once.
      acknowledged = await this.commitChange(
        this.db.manager,
        params,
        `UPDATE referrals SET status = 'received', version = version + 1, updated_at = now()
          WHERE id = ${params.add(id)} AND status = 'sent' RETURNING *`,
        { type: 'acknowledged', fromStatus: 'sent', toStatus: 'received', actorId: principal.userId },
        null,
      );
    }
    await this.audit.record({
      action: 'referral.read',
      resourceType: 'referral',
      resourceId: id,
      partyClinics: partyClinicsOf(base),
    });
    const [row] = acknowledged
      ? [acknowledged]
      : await queryRows<ReferralRow>(this.db.manager, `${detailedReferralViewSql()} WHERE r.id = $1`, [id], PREPARED);
    if (!row) throw notFound();
    return referralView(row, principal, this.inviteLink);
  }

  async events(principal: Principal, id: string): Promise<{ items: ReferralEventView[]; nextCursor: null }> {
    const base = await this.visibleBase(principal, id, this.db.manager, 'referral.read_events');
    await this.audit.record({
      action: 'referral.read_events',
      resourceType: 'referral',
      resourceId: id,
      partyClinics: partyClinicsOf(base),
    });
    const [{ timeline }] = await queryRows<{ timeline: TimelineJson }>(
      this.db.manager,
      `SELECT ${timelineJsonSql('$1::uuid')} AS timeline`,
      [id],
      PREPARED,
    );
    return { items: timelineView(timeline), nextCursor: null };
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
    const base = await this.visibleBase(principal, id, this.db.manager, `referral.${action}`);
    const parties = partiesOfRow(principal, base);
    const expected = input.version ?? ifMatch;
    if (expected === undefined) {
      throw AppError.validation([
        { field: 'version', message: 'send the version you read, as body field "version" or header If-Match' },
      ]);
    }
    if (expected !== base.version) throw staleVersion(base);
    const check = checkTransition(base.status, action, parties);
    if (!check.ok && check.reason === 'invalid_transition') {
      throw new AppError('invalid_transition', `"${action}" is not possible while the referral is ${base.status}`, {
        currentStatus: base.status,
        allowedActions: allowedActions(base.status, parties),
      });
    }
    if (!check.ok)
      throw new AppError('forbidden', `Only the ${check.by} (or an admin of their clinic) may ${action} this referral`);
    const { transition, next } = check;
    validateFields(action, transition.fields, input, this.clock.now());
    this.assertBusinessRules(action, base);

    const now = this.clock.now();
    const params = new SqlParams();
    const sets: string[] = [];
    const set = (column: string, value: unknown) => sets.push(`${column} = ${params.add(value)}`);
    if (action === 'send') set('sent_at', now);
    if (action === 'accept' || action === 'decline') set('responded_at', now);
    if (action === 'schedule' || action === 'reschedule') set('appointment_at', new Date(input.appointmentAt as string));
    if (action === 'unschedule') set('appointment_at', null);
    if (action === 'send-outcome') {
      const given = input.outcome!;
      const outcome: ReferralOutcome = {
        summary: given.summary,
        recommendations: given.recommendations ?? null,
        painLevel: given.painLevel ?? null,
        psfs: given.psfs ?? null,
        visits: given.visits ?? null,
        recommendMaintenance: given.recommendMaintenance ?? false,
        sentAt: now.toISOString(),
      };
      set('outcome', outcome);
    }
    if (next === 'closed') set('closed_at', now);
    // The response SLA clock stops while the recipient waits for information.
    if (next === 'info_requested') sets.push('sla_paused_at = now()');
    if (base.status === 'info_requested' && next !== 'info_requested') {
      sets.push(
        `sla_paused_ms = sla_paused_ms + (extract(epoch FROM now() - sla_paused_at) * 1000)::bigint`,
        'sla_paused_at = NULL',
      );
    }
    const update = `UPDATE referrals SET status = ${params.add(next)}, version = version + 1, updated_at = now()${sets.length ? `, ${sets.join(', ')}` : ''}
          WHERE id = ${params.add(id)} AND version = ${params.add(expected)} RETURNING *`;
    const row = await this.commitChange(
      this.db.manager,
      params,
      update,
      {
        type: transition.event,
        fromStatus: base.status,
        toStatus: next,
        actorId: principal.userId,
        reason: input.reason ?? null,
        note: input.note ?? null,
        data: eventData(action, input, base),
      },
      { action: `referral.${action}`, resourceType: 'referral' },
    );
    // Someone else changed it between our read and this update: nothing was written.
    if (!row) {
      const current = await this.base(id, this.db.manager);
      throw current ? staleVersion(current) : notFound();
    }
    return referralView(row, principal, this.inviteLink);
  }

  /**
   * The open referrals of the admin's clinic whose own-side practitioner is deactivated: sent by
   * one (drafts included) or sent to one. Keyset-paged like the boxes, newest change first.
   */
  async unowned(principal: Principal, query: { cursor?: string; limit?: number }): Promise<Page<ReferralView>> {
    if (!isClinicAdmin(principal)) throw new AppError('forbidden', 'Only an admin of the clinic may see its unowned referrals');
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const params = new SqlParams();
    const clinic = params.add(principal.clinicId, 'uuid');
    const filters = [`r.status <> ALL(${params.add(TERMINAL_STATUSES, 'text[]')})`];
    if (query.cursor) {
      const [ts, id] = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      filters.push(`(r.updated_at, r.id) < (${params.add(ts, 'timestamptz')}, ${params.add(id, 'uuid')})`);
    }
    const gone = `SELECT id FROM users WHERE clinic_id = ${clinic} AND deactivated_at IS NOT NULL`;
    const rows = await queryRows<ReferralRow>(
      this.db.manager,
      `${REFERRAL_VIEW_SELECT}
        WHERE r.id IN (
          SELECT r.id FROM referrals r
           WHERE (r.sender_id IN (${gone}) OR (r.recipient_id IN (${gone}) AND r.sent_at IS NOT NULL)) AND ${filters.join(' AND ')}
           ORDER BY r.updated_at DESC, r.id DESC LIMIT ${params.add(limit + 1, 'int')})
        ORDER BY r.updated_at DESC, r.id DESC`,
      params.values,
    );
    const page = rows.slice(0, limit);
    await this.audit.record({ action: 'referral.list_unowned', resourceType: 'referral', details: { count: page.length } });
    const last = page[page.length - 1];
    return {
      items: page.map((r) => referralView(r, principal, this.inviteLink)),
      nextCursor: rows.length > limit && last ? encodeCursor([last.cursor_ts, last.id]) : null,
    };
  }

  /**
   * An admin hands their clinic's side of an open referral (the sender's or the recipient's) to
   * another active practitioner of that side's role in their clinic. One timeline event
   * `reassigned` with both practitioners; the new owner is notified.
   */
  async reassign(principal: Principal, id: string, input: ReassignInput): Promise<ReferralView> {
    const base = await this.visibleBase(principal, id, this.db.manager, 'referral.reassign');
    if (!isClinicAdmin(principal)) throw new AppError('forbidden', 'Only an admin of the clinic may reassign a referral');
    if (input.version !== undefined && input.version !== base.version) throw staleVersion(base);
    const parties = partiesOfRow(principal, base).filter((party) =>
      party === 'sender' ? base.sender_clinic_id === principal.clinicId : base.recipient_clinic_id === principal.clinicId,
    );
    if (TERMINAL_STATUSES.includes(base.status)) {
      throw new AppError('invalid_transition', `A ${base.status} referral cannot be reassigned`, {
        currentStatus: base.status,
        allowedActions: allowedActions(base.status, parties),
      });
    }
    const [target] = await queryRows<ReassignTarget>(
      this.db.manager,
      `SELECT role, deactivated_at IS NOT NULL AS deactivated, activated_at IS NOT NULL AS joined,
              licence_expires_on::text AS licence_expires_on
         FROM users WHERE id = $1 AND clinic_id = $2`,
      [input.practitionerId, principal.clinicId],
    );
    if (!target) {
      throw new AppError('not_found', 'The practitioner was not found in your clinic', {
        errors: [{ field: 'practitionerId', message: 'no such practitioner in your clinic' }],
      });
    }
    const side = parties.find((party: Party) => KIND_ROLES[base.kind][party] === target.role);
    if (!side) {
      const roles = parties.map((party) => KIND_ROLES[base.kind][party]).join(' or ');
      throw new AppError('practitioner_role_mismatch', `Your clinic's side of this referral needs a ${roles}`, {
        errors: [{ field: 'practitionerId', message: `must be a ${roles}` }],
      });
    }
    if (target.deactivated || !target.joined) {
      throw new AppError('practitioner_inactive', 'The practitioner is deactivated or has not joined yet', {
        errors: [{ field: 'practitionerId', message: 'must be an active practitioner' }],
      });
    }
    if (side === 'recipient' && (!target.licence_expires_on || target.licence_expires_on < todayIso(this.clock.now()))) {
      throw new AppError('licence_expired', "The practitioner's licence has expired");
    }
    const column = side === 'sender' ? 'sender_id' : 'recipient_id';
    const from = base[column];
    if (from === input.practitionerId) {
      throw AppError.validation([{ field: 'practitionerId', message: `is already the ${side} of this referral` }]);
    }
    const params = new SqlParams();
    const update = `UPDATE referrals SET ${column} = ${params.add(input.practitionerId, 'uuid')}, version = version + 1, updated_at = now()
       WHERE id = ${params.add(id, 'uuid')} AND version = ${params.add(base.version, 'int')} RETURNING *`;
    const row = await this.commitChange(
      this.db.manager,
      params,
      update,
      {
        type: 'reassigned',
        fromStatus: base.status,
        toStatus: base.status,
        actorId: principal.userId,
        data: { side, fromPractitionerId: from, toPractitionerId: input.practitionerId },
        outboxData: { side, toPractitionerId: input.practitionerId },
      },
      { action: 'referral.reassign', resourceType: 'referral' },
    );
    if (!row) {
      const current = await this.base(id, this.db.manager);
      throw current ? staleVersion(current) : notFound();
    }
    return referralView(row, principal, this.inviteLink);
  }

  /** The referral's current state for a caller who may see it; 404 (audited) otherwise. */
  async visibleBase(principal: Principal, id: string, manager: EntityManager, action: string): Promise<BaseRow> {
    // Only a missing row is a 404: a database error stays an error (never audited as not_found).
    const base = await this.base(id, manager);
    if (!base || partiesOfRow(principal, base).length === 0) {
      await this.audit.record({ action, resourceType: 'referral', resourceId: id, outcome: 'not_found' });
      throw notFound();
    }
    return base;
  }

  private async base(id: string, manager: EntityManager): Promise<BaseRow | undefined> {
    const [row] = await queryRows<BaseRow>(
      manager,
      `SELECT r.id, r.status, r.version, r.kind, r.patient_id, r.sender_id, r.sender_clinic_id, r.recipient_id, r.recipient_clinic_id,
              r.recipient_invite_id, r.sent_at, r.appointment_at, s.role AS sender_role, t.role AS recipient_role, t.licence_expires_on::text AS recipient_licence_expires_on,
              t.accepting_referrals AS recipient_accepting, t.deactivated_at IS NULL AS recipient_active,
              EXISTS (SELECT 1 FROM patient_consents c
                       WHERE c.patient_id = r.patient_id AND c.scope = 'referral_sharing' AND c.revoked_at IS NULL) AS has_sharing_consent,
              r.plan IS NOT NULL AS has_plan, r.red_flags, r.emergency_advice_given
         FROM referrals r
         JOIN users s ON s.id = r.sender_id
         LEFT JOIN users t ON t.id = r.recipient_id
        WHERE r.id = $1`,
      [id],
      PREPARED,
    );
    return row;
  }

  /**
   * Writes a change and what goes with it as ONE statement: `change` (an INSERT or UPDATE of
   * referrals … RETURNING *, its parameters added to `params`), the timeline event of the changed row, its outbox row (ids only, no PHI) and, when given, the audit
   * row; it answers the changed referral's detailed view row. One statement commits atomically
   * without BEGIN/COMMIT round trips; when `change` matches no row nothing is written and no row
   * comes back.
   */
  private async commitChange(
    manager: EntityManager,
    params: SqlParams,
    change: string,
    event: NewEvent,
    audit: Omit<AuditEntry, 'resourceId' | 'partyClinics'> | null,
  ): Promise<ReferralRow | undefined> {
    const sql = `WITH changed AS (${change}),
      event AS (
        INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, reason, note, data)
        SELECT id, ${params.add(event.type, 'text')}, ${params.add(event.fromStatus, 'text')}, ${params.add(event.toStatus, 'text')},
               ${params.add(event.actorId, 'uuid')}, ${params.add(event.reason ?? null, 'text')}, ${params.add(event.note ?? null, 'text')},
               ${params.add(event.data ?? null, 'jsonb')}
          FROM changed
        RETURNING *
      ),
      outbox AS (${outboxInsertSql(
        'event',
        { referralIdColumn: 'referral_id', referralEventIdColumn: 'id' },
        {
          type: `referral.${event.type}`,
          payload: { fromStatus: event.fromStatus, toStatus: event.toStatus, actorId: event.actorId, ...event.outboxData },
        },
        params,
      )})${
        audit
          ? `,
      audit AS (${this.audit.insertSql(audit, 'changed', 'id', params)})`
          : ''
      }
      ${detailedReferralViewSql('changed', 'event')}`;
    const [row] = await queryRows<ReferralRow>(manager, sql, params.values, PREPARED);
    return row;
  }

  /**
   * The sender clinic's pending invite of this address, made now if there is none (so a second
   * referral to a pending address shares the first one's invite and link). Answers its id.
   */
  async pendingInvite(manager: EntityManager, clinicId: string, invite: RecipientInviteInput): Promise<string> {
    const id = randomUUID();
    const token = referralInviteToken(this.config.jwt.secret, id, 1);
    // ON CONFLICT … DO UPDATE locks the existing row, so concurrent creates share one invite.
    const [row] = await queryRows<{ id: string; role: PractitionerRole }>(
      manager,
      `INSERT INTO referral_invites (id, sender_clinic_id, email, full_name, role, token_hash) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (sender_clinic_id, lower(email)) WHERE joined_at IS NULL DO UPDATE SET full_name = EXCLUDED.full_name
       RETURNING id, role`,
      [id, clinicId, invite.email, invite.fullName, invite.role, sha256(token)],
    );
    if (row.role !== invite.role) {
      throw new AppError('recipient_type_mismatch', `This address was invited as a ${row.role}`, {
        errors: [{ field: 'recipientInvite.role', message: `was invited as ${row.role}` }],
      });
    }
    return row.id;
  }

  /**
   * A new join link for the pending invite of a sent or draft referral (sender side): the previous
   * link stops working, and a sent referral's invitee is emailed the new one (outbox).
   */
  async resendInvite(principal: Principal, id: string): Promise<ReferralView> {
    const base = await this.visibleBase(principal, id, this.db.manager, 'referral.resend_invite');
    if (!partiesOfRow(principal, base).includes('sender')) {
      throw new AppError('forbidden', 'Only the sender (or an admin of their clinic) may resend the invitation');
    }
    if (!base.recipient_invite_id || base.recipient_id) {
      throw new AppError('invalid_transition', 'This referral has no pending invitation', {
        currentStatus: base.status,
        allowedActions: allowedActions(base.status, partiesOfRow(principal, base)),
      });
    }
    const inviteId = base.recipient_invite_id;
    await this.db.transaction(async (tx) => {
      const [invite] = await queryRows<{ token_version: number }>(
        tx,
        `SELECT token_version FROM referral_invites WHERE id = $1 AND joined_at IS NULL FOR UPDATE`,
        [inviteId],
      );
      if (!invite) throw new AppError('invalid_transition', 'The invitee has joined meanwhile');
      const version = invite.token_version + 1;
      const token = referralInviteToken(this.config.jwt.secret, inviteId, version);
      await tx.query(`UPDATE referral_invites SET token_version = $2, token_hash = $3 WHERE id = $1`, [
        inviteId,
        version,
        sha256(token),
      ]);
      if (base.sent_at) {
        await appendOutbox(tx, {
          type: REFERRAL_INVITE_RESENT_EVENT,
          referralId: id,
          payload: { inviteId, tokenVersion: version },
        });
      }
    });
    await this.audit.record({
      action: 'referral.resend_invite',
      resourceType: 'referral',
      resourceId: id,
      partyClinics: partyClinicsOf(base),
    });
    const [row] = await queryRows<ReferralRow>(this.db.manager, `${detailedReferralViewSql()} WHERE r.id = $1`, [id], PREPARED);
    return referralView(row, principal, this.inviteLink);
  }

  /** The invite of a join link, for the sign-up page to pre-fill: no referral, no patient. */
  async lookupInvite(token: string): Promise<RecipientInviteInput> {
    const [row] = await queryRows<RecipientInviteInput>(
      this.db.manager,
      `SELECT email, full_name AS "fullName", role FROM referral_invites WHERE token_hash = $1 AND joined_at IS NULL`,
      [sha256(token)],
    );
    if (!row) throw invalidInviteToken();
    return row;
  }

  /**
   * Someone joined through an invite's link (inside their sign-up transaction): they become the
   * recipient of its referrals. Sent ones stay `sent` (the response clock unchanged) with a
   * `recipient_joined` event that tells both sides; drafts simply name them. The link is single-use.
   */
  async joinInvite(tx: EntityManager, token: string, user: { id: string; clinicId: string; role: Role }): Promise<void> {
    const [invite] = await queryRows<{ id: string; role: PractitionerRole }>(
      tx,
      `UPDATE referral_invites SET joined_user_id = $2, joined_at = now()
        WHERE token_hash = $1 AND joined_at IS NULL RETURNING id, role`,
      [sha256(token), user.id],
    );
    if (!invite) throw invalidInviteToken();
    if (invite.role !== user.role) {
      throw AppError.validation([{ field: 'admin.practitioner.role', message: `must be ${invite.role}, as invited` }]);
    }
    const params = new SqlParams();
    const attach = `recipient_id = ${params.add(user.id, 'uuid')}, recipient_clinic_id = ${params.add(user.clinicId, 'uuid')},
                    version = version + 1, updated_at = now()`;
    const inviteId = params.add(invite.id, 'uuid');
    await tx.query(
      `UPDATE referrals SET ${attach} WHERE recipient_invite_id = ${inviteId} AND recipient_id IS NULL AND status = 'draft'`,
      params.values,
    );
    await this.commitChange(
      tx,
      params,
      `UPDATE referrals SET ${attach} WHERE recipient_invite_id = ${inviteId} AND recipient_id IS NULL AND status = 'sent' RETURNING *`,
      { type: 'recipient_joined', fromStatus: 'sent', toStatus: 'sent', actorId: user.id },
      null,
    );
  }

  /** Everything {@link create} checks against the database, in one round trip. */
  private async createFacts(
    principal: Principal,
    input: CreateReferralInput,
    /** The practitioner an admin sends for; null when the caller is the sender. */
    namedSenderId: string | null,
    manager: EntityManager,
  ): Promise<CreateFacts> {
    const [facts] = await queryRows<CreateFacts>(
      manager,
      `SELECT EXISTS (SELECT 1 FROM patients WHERE id = $1 AND clinic_id = $2) AS patient_found,
              s.role AS sender_role,
              t.role AS recipient_role, t.clinic_id AS recipient_clinic_id,
              t.licence_expires_on::text AS recipient_licence_expires_on, t.accepting_referrals AS recipient_accepting,
              o.status AS replaced_status, o.sender_id AS replaced_sender_id, o.sender_clinic_id AS replaced_sender_clinic_id,
              o.recipient_id AS replaced_recipient_id, o.recipient_clinic_id AS replaced_recipient_clinic_id,
              o.sent_at AS replaced_sent_at
         FROM (VALUES (1)) one
         LEFT JOIN users s ON s.id = $3 AND s.clinic_id = $2 AND s.activated_at IS NOT NULL AND s.deactivated_at IS NULL
         LEFT JOIN users t ON t.id = $4 AND t.role IN (${PRACTITIONER_ROLES.map((r) => `'${r}'`).join(', ')})
                          AND t.licence_expires_on >= $6::date AND t.activated_at IS NOT NULL AND t.deactivated_at IS NULL
         LEFT JOIN referrals o ON o.id = $5`,
      [
        input.patientId,
        principal.clinicId,
        namedSenderId,
        input.recipientId ?? null,
        input.replacesId ?? null,
        todayIso(this.clock.now()),
      ],
      PREPARED,
    );
    return facts;
  }

  /** Consent and the parties' roles and licences: read with the base row, checked here in order. */
  private assertBusinessRules(action: ReferralAction, base: BaseRow): void {
    const today = todayIso(this.clock.now());
    const recipient: RecipientFacts = {
      role: base.recipient_role as Role,
      licenceExpiresOn: base.recipient_licence_expires_on,
      acceptingReferrals: base.recipient_accepting,
    };
    if (action === 'send') {
      if (!base.has_sharing_consent)
        throw new AppError('consent_required', "Record the patient's referral_sharing consent before sending");
      assertSenderRole(base.kind, base.sender_role);
      if (base.kind === 'maintenance_massage' && !base.has_plan) {
        throw AppError.validation([{ field: 'plan', message: 'is required to send a maintenance_massage referral' }]);
      }
      assertEmergencyAdvice(base.red_flags, base.emergency_advice_given);
      // Someone not on ReferLoop yet: sending emails them the invitation (the notifications worker).
      if (base.recipient_invite_id && !base.recipient_id) return;
      if (!base.recipient_active) throw new AppError('practitioner_inactive', 'The recipient is deactivated; choose another');
      assertRecipientEligible(base.kind, recipient, today);
    }
    if (action === 'accept') {
      if (!recipient.licenceExpiresOn || recipient.licenceExpiresOn < today) {
        throw new AppError('licence_expired', 'A practitioner with an expired licence cannot accept referrals');
      }
    }
  }
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

/** Only the sender side of a declined, cancelled or expired referral may redirect it. */
export function assertRedirectable(principal: Principal, facts: CreateFacts): void {
  const old = facts.replaced_status
    ? {
        status: facts.replaced_status,
        sender_id: facts.replaced_sender_id as string,
        sender_clinic_id: facts.replaced_sender_clinic_id as string,
        recipient_id: facts.replaced_recipient_id as string,
        recipient_clinic_id: facts.replaced_recipient_clinic_id as string,
        sent_at: facts.replaced_sent_at,
      }
    : undefined;
  if (!old || !partiesOfRow(principal, old).includes('sender')) {
    throw new AppError('not_found', 'The referral to redirect was not found', {
      errors: [{ field: 'replacesId', message: 'no such referral of yours' }],
    });
  }
  if (!REDIRECTABLE_STATUSES.includes(old.status)) {
    throw new AppError(
      'not_redirectable',
      `A ${old.status} referral cannot be redirected; only declined, cancelled or expired ones can`,
      {
        currentStatus: old.status,
      },
    );
  }
}

function staleVersion(current: BaseRow): AppError {
  return new AppError('stale_version', `The referral is at version ${current.version}; read it again and retry`, {
    currentVersion: current.version,
    currentStatus: current.status,
  });
}

const FIELDS: ActionField[] = ['note', 'reason', 'appointmentAt', 'outcome'];

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
  if (
    (action === 'schedule' || action === 'reschedule') &&
    input.appointmentAt &&
    new Date(input.appointmentAt).getTime() <= now.getTime()
  ) {
    errors.push({ field: 'appointmentAt', message: 'must be in the future' });
  }
  if (errors.length) throw AppError.validation(errors);
}

function eventData(action: ReferralAction, input: ReferralActionInput, base: BaseRow): Record<string, unknown> | null {
  if (action === 'schedule') return { appointmentAt: new Date(input.appointmentAt as string).toISOString() };
  if (action === 'reschedule') {
    return {
      previousAppointmentAt: base.appointment_at?.toISOString() ?? null,
      appointmentAt: new Date(input.appointmentAt as string).toISOString(),
    };
  }
  if (action === 'send-outcome') return { outcome: input.outcome };
  return null;
}
