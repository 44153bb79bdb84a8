import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  AppError,
  Clock,
  type ConsentScope,
  DEFAULT_PAGE_SIZE,
  decodeSealedCursor,
  encodeSealedCursor,
  notFound,
  type Page,
  type PreferredContact,
  type Principal,
  type RequestClient,
  toPage,
} from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { AuditLog, ClinicScope, derivedKey } from '@referloop/identity';
import { DataSource, type EntityManager } from 'typeorm';
import { type ConsentRow, type PatientRow, PatientsStore } from './store/patients.store';

export interface PatientInput {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email?: string | null;
  phone?: string | null;
  preferredContact: PreferredContact;
  consents?: ConsentInput[];
}

export type PatientPatch = Partial<Omit<PatientInput, 'consents'>>;

export interface ConsentInput {
  scope: ConsentScope;
  /** When the patient gave it; defaults to now. */
  grantedAt?: string;
}

export interface ConsentView {
  id: string;
  scope: ConsentScope;
  grantedAt: string;
  revokedAt: string | null;
  recordedBy: string;
  revokedBy: string | null;
  active: boolean;
}

export interface PatientView {
  id: string;
  clinicId: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string | null;
  phone: string | null;
  preferredContact: PreferredContact;
  consents: ConsentView[];
  createdAt: string;
  updatedAt: string;
}

export function consentView(c: ConsentRow): ConsentView {
  return {
    id: c.id,
    scope: c.scope,
    grantedAt: c.grantedAt.toISOString(),
    revokedAt: c.revokedAt?.toISOString() ?? null,
    recordedBy: c.recordedBy,
    revokedBy: c.revokedBy,
    active: c.revokedAt === null,
  };
}

function patientView(p: PatientRow, consents: ConsentRow[]): PatientView {
  return {
    id: p.id,
    clinicId: p.clinicId,
    firstName: p.firstName,
    lastName: p.lastName,
    dateOfBirth: p.dateOfBirth,
    email: p.email,
    phone: p.phone,
    preferredContact: p.preferredContact,
    consents: consents.map(consentView),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export interface PatientQuery {
  q?: string;
  cursor?: string;
  limit?: number;
}

/** Patients of the caller's own clinic, and their consents. Every read and write is audited. */
@Injectable()
export class PatientsService {
  /** Seals the list's cursors, whose keyset is a name. */
  private readonly cursorKey: Buffer;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly patients: PatientsStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.cursorKey = derivedKey(config.jwt.secret, 'patient list cursor v1');
  }

  /** `tx`: the transaction of an Idempotency-Key, which the patient commits with. */
  async create(principal: Principal, input: PatientInput, tx?: EntityManager): Promise<PatientView> {
    const scope = ClinicScope.of(principal);
    const now = this.clock.now();
    assertGivenByNow(input.consents ?? [], now, (i) => `consents.${i}.grantedAt`);
    const write = async (manager: EntityManager) => {
      const patient = await this.patients.insert(
        scope,
        manager,
        {
          firstName: input.firstName,
          lastName: input.lastName,
          dateOfBirth: input.dateOfBirth,
          email: input.email ?? null,
          phone: input.phone ?? null,
          preferredContact: input.preferredContact,
        },
        now,
      );
      const scopes = [...new Map((input.consents ?? []).map((c) => [c.scope, c])).values()];
      for (const consent of scopes) await this.grant(scope, manager, patient.id, consent, now);
      await this.audit.record(
        { by: principal, action: 'patient.create', resourceType: 'patient', resourceId: patient.id },
        manager,
      );
      return this.view(scope, patient, manager);
    };
    return tx ? write(tx) : this.db.transaction(write);
  }

  async list(principal: Principal, query: PatientQuery): Promise<Page<PatientView>> {
    const scope = ClinicScope.of(principal);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    // Every word counts (q is at most 100 characters): a word left out would list patients it does not match.
    const words = query.q ? [...new Set(query.q.trim().split(/\s+/))] : [];
    // The keyset is the last patient's name: sealed, so the next page's URL carries no PHI.
    const after = query.cursor
      ? (decodeSealedCursor(query.cursor, 'patients', ['text', 'text', 'uuid'], this.cursorKey) as [string, string, string])
      : undefined;
    const rows = await this.patients.page(scope, { words, after, limit: limit + 1 });
    const consents = await this.patients.consentsOf(
      scope,
      rows.map((r) => r.id),
    );
    await this.audit.record({
      by: principal,
      action: 'patient.list',
      resourceType: 'patient',
      details: { count: Math.min(rows.length, limit), search: Boolean(query.q), ids: rows.slice(0, limit).map((p) => p.id) },
    });
    return toPage(
      rows,
      limit,
      (p) =>
        patientView(
          p,
          consents.filter((c) => c.patientId === p.id),
        ),
      (p) => [p.lastName, p.firstName, p.id],
      (values) => encodeSealedCursor('patients', values, this.cursorKey),
    );
  }

  async get(principal: Principal, id: string): Promise<PatientView> {
    const scope = ClinicScope.of(principal);
    const patient = await this.patients.get(scope, id);
    await this.audit.record({
      by: principal,
      action: 'patient.read',
      resourceType: 'patient',
      resourceId: id,
      ...(patient ? {} : { outcome: 'not_found' as const }),
    });
    if (!patient) throw notFound('patient');
    return this.view(scope, patient);
  }

  async update(principal: Principal, id: string, patch: PatientPatch): Promise<PatientView> {
    const scope = ClinicScope.of(principal);
    return this.db.transaction(async (tx) => {
      const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as PatientPatch;
      const updated = Object.keys(changes).length ? await this.patients.update(scope, tx, id, changes, this.clock.now()) : null;
      const patient = updated?.row ?? (await this.patients.get(scope, id, tx));
      if (!patient) throw notFound('patient');
      await this.audit.record(
        {
          by: principal,
          action: 'patient.update',
          resourceType: 'patient',
          resourceId: id,
          // What the edit changed, not every field a form sent.
          details: { fields: updated?.changed ?? [] },
        },
        tx,
      );
      return this.view(scope, patient, tx);
    });
  }

  /**
   * Records a consent. Granting a scope that is already active returns the active consent
   * (`created: false`), and audits nothing: nothing was granted.
   */
  async grantConsent(
    principal: Principal,
    patientId: string,
    input: ConsentInput,
  ): Promise<{ consent: ConsentView; created: boolean }> {
    const scope = ClinicScope.of(principal);
    const now = this.clock.now();
    assertGivenByNow([input], now, () => 'grantedAt');
    return this.db.transaction(async (tx) => {
      if (!(await this.patients.get(scope, patientId, tx))) throw notFound('patient');
      const { consent, created } = await this.grant(scope, tx, patientId, input, now);
      if (!created) return { consent: consentView(consent), created };
      await this.audit.record(
        {
          by: principal,
          action: 'consent.grant',
          resourceType: 'patient',
          resourceId: patientId,
          details: { scope: input.scope },
        },
        tx,
      );
      return { consent: consentView(consent), created };
    });
  }

  /** Revokes a consent; revoking one already revoked changes nothing. */
  async revokeConsent(principal: Principal, patientId: string, consentId: string): Promise<ConsentView> {
    const scope = ClinicScope.of(principal);
    return this.db.transaction(async (tx) => {
      const consent = await this.patients.lockConsent(scope, tx, patientId, consentId);
      if (!consent) throw new AppError('not_found', 'The consent was not found');
      if (consent.revokedAt) return consentView(consent);
      const revoked = await this.patients.revoke(scope, tx, consentId, this.clock.now());
      if (!revoked) throw new AppError('not_found', 'The consent was not found');
      await this.audit.record(
        {
          by: principal,
          action: 'consent.revoke',
          resourceType: 'patient',
          resourceId: patientId,
          details: { scope: consent.scope },
        },
        tx,
      );
      return consentView(revoked);
    });
  }

  /** What the unsubscribe link of the consent `consentId` would do now; null when it unlocks nothing. */
  async unsubscribeState(consentId: string): Promise<'subscribed' | 'unsubscribed' | null> {
    const inEffect = await this.patients.notificationConsentInEffect(consentId);
    return inEffect === null ? null : inEffect ? 'subscribed' : 'unsubscribed';
  }

  /**
   * The patient's one-click unsubscribe: revokes their `patient_notifications` consent with no
   * signed-in actor (the unsubscribe token stood for the patient), audited. The link of an older
   * email works too: it revokes the consent in effect now, also one the clinic recorded after that
   * email, because the patient asking to stop is what it means. Repeating it changes nothing; false
   * when there is no such consent.
   */
  async unsubscribe(client: RequestClient, consentId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const consent = await this.patients.lockNotificationConsent(tx, consentId);
      if (!consent) return false;
      if (!consent.active_id) return true;
      await this.patients.unsubscribe(tx, consent.active_id, this.clock.now());
      await this.audit.record(
        {
          by: client,
          action: 'consent.revoke',
          resourceType: 'patient',
          resourceId: consent.patient_id,
          details: { scope: 'patient_notifications', via: 'unsubscribe' },
          actorId: null,
          clinicId: consent.clinic_id,
        },
        tx,
      );
      return true;
    });
  }

  private async grant(
    scope: ClinicScope,
    tx: EntityManager,
    patientId: string,
    input: ConsentInput,
    now: Date,
  ): Promise<{ consent: ConsentRow; created: boolean }> {
    const grantedAt = input.grantedAt ? new Date(input.grantedAt) : now;
    return this.patients.grant(scope, tx, patientId, { scope: input.scope, grantedAt }, now);
  }

  private async view(scope: ClinicScope, patient: PatientRow, manager?: EntityManager): Promise<PatientView> {
    return patientView(patient, await this.patients.consentsOf(scope, [patient.id], manager));
  }
}

/** How far past the Clock a consent's `grantedAt` may be: the recording device's clock may run a little fast. */
const CONSENT_CLOCK_DRIFT_MS = 5 * 60_000;

/**
 * A consent is in effect from when it was given, so one dated in the future would count as given
 * before it was: refused (400 naming each such field), before anything is written.
 */
function assertGivenByNow(consents: readonly ConsentInput[], now: Date, field: (index: number) => string): void {
  const latest = now.getTime() + CONSENT_CLOCK_DRIFT_MS;
  const errors = consents.flatMap((consent, index) =>
    consent.grantedAt && new Date(consent.grantedAt).getTime() > latest
      ? [{ field: field(index), message: 'must not be in the future' }]
      : [],
  );
  if (errors.length > 0) throw AppError.validation(errors);
}
