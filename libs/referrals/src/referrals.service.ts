import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  AppError,
  Clock,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  type Page,
  type Principal,
  type ReferralKind,
  type Role,
} from '@referloop/common';
import { appendOutbox, queryRows } from '@referloop/database';
import { AuditLog, todayIso } from '@referloop/identity';
import { DataSource, type EntityManager } from 'typeorm';
import type { MaintenancePlan, ReferralOutcome } from './entities/referral.entity';
import { partiesOfRow } from './referral-access';
import { assertRecipientEligible, assertRedFlagsUrgent, assertSenderRole, type RecipientFacts } from './referral-rules';
import { REFERRAL_VIEW_SELECT, type ReferralRow, referralView } from './referral-rows';
import type { ReferralEventView, ReferralView } from './referral.views';
import {
  type ActionField,
  allowedActions,
  checkTransition,
  REDIRECTABLE_STATUSES,
  type ReferralAction,
  type ReferralEventType,
  type ReferralStatus,
} from './state-machine/referral-state-machine';

export interface CreateReferralInput {
  kind: ReferralKind;
  patientId: string;
  recipientId: string;
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
  plan?: MaintenancePlan | null;
  replacesId?: string | null;
}

export interface ReferralActionInput {
  version?: number;
  note?: string;
  reason?: string;
  appointmentAt?: string;
  outcome?: { summary: string; recommendations?: string | null };
}

export type ReferralBox = 'sent' | 'received' | 'clinic';

export interface ReferralQuery {
  box?: ReferralBox;
  status?: ReferralStatus[];
  kind?: ReferralKind;
  patientId?: string;
  updatedSince?: string;
  cursor?: string;
  limit?: number;
}

interface BaseRow {
  id: string;
  status: ReferralStatus;
  version: number;
  kind: ReferralKind;
  patient_id: string;
  sender_id: string;
  sender_clinic_id: string;
  recipient_id: string;
  recipient_clinic_id: string;
}

const notFound = () => new AppError('not_found', 'The referral was not found');

@Injectable()
export class ReferralsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** Creates a draft (version 1). Runs inside the caller's transaction when given one (idempotency). */
  async create(principal: Principal, input: CreateReferralInput, tx?: EntityManager): Promise<ReferralView> {
    if (!tx) return this.db.transaction((t) => this.create(principal, input, t));
    const sender = await this.resolveSender(principal, input.senderId, tx);
    assertSenderRole(input.kind, sender.role);
    const redFlags = input.redFlags ?? [];
    assertRedFlagsUrgent(input.priority, redFlags);
    if (input.kind === 'maintenance_massage' && !input.plan) {
      throw AppError.validation([{ field: 'plan', message: 'is required for a maintenance_massage referral' }]);
    }
    if (input.kind === 'injury_care' && input.plan) {
      throw AppError.validation([{ field: 'plan', message: 'only a maintenance_massage referral has a plan' }]);
    }
    const today = todayIso(this.clock.now());
    if (input.neededBy && input.neededBy <= today) {
      throw AppError.validation([{ field: 'neededBy', message: 'must be a future date' }]);
    }

    const [patient]: { id: string }[] = await tx.query(`SELECT id FROM patients WHERE id = $1 AND clinic_id = $2`, [
      input.patientId,
      sender.clinicId,
    ]);
    if (!patient) throw new AppError('not_found', 'The patient was not found', { errors: [{ field: 'patientId', message: 'no such patient in your clinic' }] });
    const recipient = await this.recipientFacts(input.recipientId, tx);
    assertRecipientEligible(input.kind, recipient, today);
    if (input.replacesId) await this.assertRedirectable(principal, input.replacesId, tx);

    const [row]: { id: string }[] = await tx.query(
      `INSERT INTO referrals (kind, status, patient_id, sender_id, sender_clinic_id, recipient_id, recipient_clinic_id, created_by,
                              priority, reason, body_regions, observations, pain_level, onset_date, needed_by, red_flags, plan, replaces_id)
       VALUES ($1, 'draft', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       RETURNING id`,
      [
        input.kind,
        input.patientId,
        sender.id,
        sender.clinicId,
        input.recipientId,
        recipient.clinicId,
        principal.userId,
        input.priority,
        input.reason,
        input.bodyRegions ?? [],
        input.observations ?? null,
        input.painLevel ?? null,
        input.onsetDate ?? null,
        input.neededBy ?? null,
        redFlags,
        input.plan ?? null,
        input.replacesId ?? null,
      ],
    );
    await this.appendEvent(tx, {
      referralId: row.id,
      type: 'created',
      fromStatus: null,
      toStatus: 'draft',
      actorId: principal.userId,
      data: input.replacesId ? { replacesId: input.replacesId } : null,
    });
    await this.audit.record({ action: 'referral.create', resourceType: 'referral', resourceId: row.id }, tx);
    return this.view(principal, row.id, tx, { withDetails: true });
  }

  async list(principal: Principal, query: ReferralQuery): Promise<Page<ReferralView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const admin = principal.role === 'clinic_admin';
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
    if (query.cursor) {
      const [ts, id] = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      filters.push(`(updated_at, id) < (${p(ts)}::timestamptz, ${p(id)}::uuid)`);
    }
    const owner = p(admin ? principal.clinicId : principal.userId);
    const sentSide = admin ? `sender_clinic_id = ${owner}` : `sender_id = ${owner}`;
    const receivedSide = `${admin ? 'recipient_clinic_id' : 'recipient_id'} = ${owner} AND status <> 'draft'`;
    const sides = box === 'sent' ? [sentSide] : box === 'received' ? [receivedSide] : [sentSide, receivedSide];
    const lim = p(limit + 1);
    const branch = (side: string) =>
      `(SELECT id, updated_at FROM referrals WHERE ${[side, ...filters].join(' AND ')} ORDER BY updated_at DESC, id DESC LIMIT ${lim})`;
    const ids: { id: string }[] = await this.db.query(
      `SELECT id FROM (${sides.map(branch).join(' UNION ')}) page ORDER BY updated_at DESC, id DESC LIMIT ${lim}`,
      params,
    );
    const hasMore = ids.length > limit;
    const pageIds = ids.slice(0, limit).map((r) => r.id);
    const rows = await this.rows(pageIds, this.db.manager);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const ordered = pageIds.map((id) => byId.get(id)).filter((r): r is ReferralRow => r !== undefined);
    await this.audit.record({ action: 'referral.list', resourceType: 'referral', details: { count: ordered.length, box: box ?? 'all' } });
    const last = ordered[ordered.length - 1];
    return {
      items: ordered.map((r) => referralView(r, principal)),
      nextCursor: hasMore && last ? encodeCursor([last.cursor_ts, last.id]) : null,
    };
  }

  /** One referral with its timeline and attachments. The recipient's first read acknowledges it. */
  async get(principal: Principal, id: string): Promise<ReferralView> {
    const base = await this.visibleBase(principal, id, this.db.manager, 'referral.read');
    if (base.status === 'sent' && base.recipient_id === principal.userId) {
      await this.db.transaction(async (tx) => {
        // Conditional on the status, so two first reads at once acknowledge once.
        const acknowledged = await queryRows<{ id: string }>(
          tx,
          `UPDATE referrals SET status = 'received', version = version + 1, updated_at = now()
            WHERE id = $1 AND status = 'sent' RETURNING id`,
          [id],
        );
        if (acknowledged.length) {
          await this.appendEvent(tx, { referralId: id, type: 'acknowledged', fromStatus: 'sent', toStatus: 'received', actorId: principal.userId });
        }
      });
    }
    await this.audit.record({ action: 'referral.read', resourceType: 'referral', resourceId: id });
    return this.view(principal, id, this.db.manager, { withDetails: true });
  }

  async events(principal: Principal, id: string): Promise<{ items: ReferralEventView[]; nextCursor: null }> {
    await this.visibleBase(principal, id, this.db.manager, 'referral.read_events');
    await this.audit.record({ action: 'referral.read_events', resourceType: 'referral', resourceId: id });
    return { items: await this.timeline(id, this.db.manager), nextCursor: null };
  }

  /**
   * Performs a lifecycle action. Checks, in order: visibility (404), version (409 stale_version),
   * state (409 invalid_transition), party (403), body fields (400), business rules (422). The state
   * change, its timeline event, its outbox row and the audit row commit together.
   */
  async act(principal: Principal, id: string, action: ReferralAction, input: ReferralActionInput, ifMatch?: number): Promise<ReferralView> {
    return this.db.transaction(async (tx) => {
      const base = await this.visibleBase(principal, id, tx, `referral.${action}`);
      const parties = partiesOfRow(principal, base);
      const expected = input.version ?? ifMatch;
      if (expected === undefined) {
        throw AppError.validation([{ field: 'version', message: 'send the version you read, as body field "version" or header If-Match' }]);
      }
      if (expected !== base.version) throw staleVersion(base);
      const check = checkTransition(base.status, action, parties);
      if (!check.ok && check.reason === 'invalid_transition') {
        throw new AppError('invalid_transition', `"${action}" is not possible while the referral is ${base.status}`, {
          currentStatus: base.status,
          allowedActions: allowedActions(base.status, parties),
        });
      }
      if (!check.ok) throw new AppError('forbidden', `Only the ${check.by} (or an admin of their clinic) may ${action} this referral`);
      const { transition, next } = check;
      validateFields(action, transition.fields, input, this.clock.now());
      await this.assertBusinessRules(action, base, tx);

      const now = this.clock.now();
      const sets: string[] = [];
      const values: unknown[] = [id, expected, next];
      const set = (column: string, value: unknown) => sets.push(`${column} = $${values.push(value)}`);
      if (action === 'send') set('sent_at', now);
      if (action === 'accept' || action === 'decline') set('responded_at', now);
      if (action === 'schedule') set('appointment_at', new Date(input.appointmentAt as string));
      if (action === 'unschedule') set('appointment_at', null);
      if (action === 'send-outcome') {
        const outcome: ReferralOutcome = {
          summary: input.outcome!.summary,
          recommendations: input.outcome!.recommendations ?? null,
          sentAt: now.toISOString(),
        };
        set('outcome', outcome);
      }
      if (next === 'closed') set('closed_at', now);
      // The response SLA clock stops while the recipient waits for information.
      if (next === 'info_requested') sets.push('sla_paused_at = now()');
      if (base.status === 'info_requested' && next !== 'info_requested') {
        sets.push(`sla_paused_ms = sla_paused_ms + (extract(epoch FROM now() - sla_paused_at) * 1000)::bigint`, 'sla_paused_at = NULL');
      }
      const updated = await queryRows<{ id: string }>(
        tx,
        `UPDATE referrals SET status = $3, version = version + 1, updated_at = now()${sets.length ? `, ${sets.join(', ')}` : ''}
          WHERE id = $1 AND version = $2 RETURNING id`,
        values,
      );
      // Someone else changed it between our read and this update.
      if (updated.length === 0) throw staleVersion(await this.base(id, tx));

      await this.appendEvent(tx, {
        referralId: id,
        type: transition.event,
        fromStatus: base.status,
        toStatus: next,
        actorId: principal.userId,
        reason: input.reason ?? null,
        note: input.note ?? null,
        data: eventData(action, input),
      });
      await this.audit.record({ action: `referral.${action}`, resourceType: 'referral', resourceId: id }, tx);
      return this.view(principal, id, tx, { withDetails: true });
    });
  }

  /** The referral's current state for a caller who may see it; 404 (audited) otherwise. */
  async visibleBase(principal: Principal, id: string, manager: EntityManager, action: string): Promise<BaseRow> {
    const base = await this.base(id, manager).catch(() => undefined);
    if (!base || partiesOfRow(principal, base).length === 0) {
      await this.audit.record({ action, resourceType: 'referral', resourceId: id, outcome: 'not_found' });
      throw notFound();
    }
    return base;
  }

  async view(principal: Principal, id: string, manager: EntityManager, options: { withDetails: boolean }): Promise<ReferralView> {
    const [row] = await this.rows([id], manager);
    if (!row) throw notFound();
    const view = referralView(row, principal);
    if (options.withDetails) {
      view.timeline = await this.timeline(id, manager);
      view.attachments = (
        await manager.query(
          `SELECT id, referral_id, file_name, content_type, size_bytes, sha256, uploaded_by, created_at
             FROM referral_attachments WHERE referral_id = $1 ORDER BY created_at, id`,
          [id],
        )
      ).map((a: Record<string, unknown>) => ({
        id: a.id,
        referralId: a.referral_id,
        fileName: a.file_name,
        contentType: a.content_type,
        sizeBytes: a.size_bytes,
        sha256: a.sha256,
        uploadedBy: a.uploaded_by,
        createdAt: (a.created_at as Date).toISOString(),
      }));
    }
    return view;
  }

  private async base(id: string, manager: EntityManager): Promise<BaseRow> {
    const [row]: BaseRow[] = await manager.query(
      `SELECT id, status, version, kind, patient_id, sender_id, sender_clinic_id, recipient_id, recipient_clinic_id
         FROM referrals WHERE id = $1`,
      [id],
    );
    if (!row) throw notFound();
    return row;
  }

  private rows(ids: string[], manager: EntityManager): Promise<ReferralRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return manager.query(`${REFERRAL_VIEW_SELECT} WHERE r.id = ANY($1::uuid[])`, [ids]);
  }

  private async timeline(id: string, manager: EntityManager): Promise<ReferralEventView[]> {
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT id, referral_id, type, from_status, to_status, actor_id, reason, note, data, occurred_at
         FROM referral_events WHERE referral_id = $1 ORDER BY occurred_at, id`,
      [id],
    );
    return rows.map((e) => ({
      id: e.id as string,
      referralId: e.referral_id as string,
      type: e.type as ReferralEventType,
      fromStatus: e.from_status as ReferralStatus | null,
      toStatus: e.to_status as ReferralStatus,
      actorId: e.actor_id as string | null,
      reason: e.reason as string | null,
      note: e.note as string | null,
      data: e.data as Record<string, unknown> | null,
      occurredAt: (e.occurred_at as Date).toISOString(),
    }));
  }

  /** Appends the timeline event and, in the same transaction, its outbox row (ids only, no PHI). */
  async appendEvent(
    tx: EntityManager,
    event: {
      referralId: string;
      type: ReferralEventType;
      fromStatus: ReferralStatus | null;
      toStatus: ReferralStatus;
      actorId: string | null;
      reason?: string | null;
      note?: string | null;
      data?: Record<string, unknown> | null;
    },
  ): Promise<void> {
    const [row]: { id: string }[] = await tx.query(
      `INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, reason, note, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [event.referralId, event.type, event.fromStatus, event.toStatus, event.actorId, event.reason ?? null, event.note ?? null, event.data ?? null],
    );
    await appendOutbox(tx, {
      type: `referral.${event.type}`,
      referralId: event.referralId,
      referralEventId: row.id,
      payload: { fromStatus: event.fromStatus, toStatus: event.toStatus, actorId: event.actorId },
    });
  }

  private async resolveSender(
    principal: Principal,
    senderId: string | undefined,
    tx: EntityManager,
  ): Promise<{ id: string; clinicId: string; role: Role }> {
    if (principal.role !== 'clinic_admin') {
      if (senderId && senderId !== principal.userId) {
        throw new AppError('forbidden', 'A practitioner sends referrals as themself; only a clinic admin may name another sender');
      }
      return { id: principal.userId, clinicId: principal.clinicId, role: principal.role };
    }
    if (!senderId) {
      throw AppError.validation([{ field: 'senderId', message: 'a clinic admin must name the practitioner the referral is sent for' }]);
    }
    const [sender]: { id: string; clinic_id: string; role: Role }[] = await tx.query(
      `SELECT id, clinic_id, role FROM users WHERE id = $1 AND clinic_id = $2`,
      [senderId, principal.clinicId],
    );
    if (!sender) throw new AppError('not_found', 'The sender was not found in your clinic', { errors: [{ field: 'senderId', message: 'no such practitioner in your clinic' }] });
    return { id: sender.id, clinicId: sender.clinic_id, role: sender.role };
  }

  private async recipientFacts(recipientId: string, tx: EntityManager): Promise<RecipientFacts & { clinicId: string }> {
    const [row]: { role: Role; clinic_id: string; licence_expires_on: string | null; accepting_referrals: boolean }[] = await tx.query(
      `SELECT role, clinic_id, licence_expires_on::text AS licence_expires_on, accepting_referrals FROM users WHERE id = $1`,
      [recipientId],
    );
    if (!row) throw new AppError('not_found', 'The recipient was not found', { errors: [{ field: 'recipientId', message: 'no such practitioner' }] });
    return { role: row.role, clinicId: row.clinic_id, licenceExpiresOn: row.licence_expires_on, acceptingReferrals: row.accepting_referrals };
  }

  private async assertRedirectable(principal: Principal, replacesId: string, tx: EntityManager): Promise<void> {
    const old = await this.base(replacesId, tx).catch(() => undefined);
    if (!old || !partiesOfRow(principal, old).includes('sender')) {
      throw new AppError('not_found', 'The referral to redirect was not found', { errors: [{ field: 'replacesId', message: 'no such referral of yours' }] });
    }
    if (!REDIRECTABLE_STATUSES.includes(old.status)) {
      throw new AppError('not_redirectable', `A ${old.status} referral cannot be redirected; only declined, cancelled or expired ones can`, {
        currentStatus: old.status,
      });
    }
  }

  private async assertBusinessRules(action: ReferralAction, base: BaseRow, tx: EntityManager): Promise<void> {
    const today = todayIso(this.clock.now());
    if (action === 'send') {
      const [consent] = await tx.query(
        `SELECT 1 FROM patient_consents WHERE patient_id = $1 AND scope = 'referral_sharing' AND revoked_at IS NULL`,
        [base.patient_id],
      );
      if (!consent) throw new AppError('consent_required', 'Record the patient\'s referral_sharing consent before sending');
      const [sender]: { role: Role }[] = await tx.query(`SELECT role FROM users WHERE id = $1`, [base.sender_id]);
      assertSenderRole(base.kind, sender.role);
      assertRecipientEligible(base.kind, await this.recipientFacts(base.recipient_id, tx), today);
    }
    if (action === 'accept') {
      const recipient = await this.recipientFacts(base.recipient_id, tx);
      if (!recipient.licenceExpiresOn || recipient.licenceExpiresOn < today) {
        throw new AppError('licence_expired', 'A practitioner with an expired licence cannot accept referrals');
      }
    }
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
function validateFields(
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
  if (action === 'schedule' && input.appointmentAt && new Date(input.appointmentAt).getTime() <= now.getTime()) {
    errors.push({ field: 'appointmentAt', message: 'must be in the future' });
  }
  if (errors.length) throw AppError.validation(errors);
}

function eventData(action: ReferralAction, input: ReferralActionInput): Record<string, unknown> | null {
  if (action === 'schedule') return { appointmentAt: new Date(input.appointmentAt as string).toISOString() };
  if (action === 'send-outcome') return { outcome: input.outcome };
  return null;
}

