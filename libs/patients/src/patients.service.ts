import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  AppError,
  Clock,
  type ConsentScope,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  type Page,
  type PreferredContact,
  type Principal,
  toPage,
} from '@referloop/common';
import { isUniqueViolation } from '@referloop/database';
import { AuditLog, ClinicScopedRepository } from '@referloop/identity';
import { DataSource, type EntityManager, IsNull, Repository } from 'typeorm';
import { ConsentEntity } from './entities/consent.entity';
import { PatientEntity } from './entities/patient.entity';

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

export function consentView(c: ConsentEntity): ConsentView {
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

function patientView(p: PatientEntity, consents: ConsentEntity[]): PatientView {
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
  private readonly patients: ClinicScopedRepository<PatientEntity>;
  private readonly consents: ClinicScopedRepository<ConsentEntity>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(PatientEntity) patients: Repository<PatientEntity>,
    @InjectRepository(ConsentEntity) consents: Repository<ConsentEntity>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    this.patients = new ClinicScopedRepository(patients, 'patient');
    this.consents = new ClinicScopedRepository(consents, 'consent');
  }

  async create(principal: Principal, input: PatientInput): Promise<PatientView> {
    return this.db.transaction(async (tx) => {
      const patient = await tx.save(
        tx.create(PatientEntity, {
          clinicId: principal.clinicId,
          firstName: input.firstName,
          lastName: input.lastName,
          dateOfBirth: input.dateOfBirth,
          email: input.email ?? null,
          phone: input.phone ?? null,
          preferredContact: input.preferredContact,
          createdBy: principal.userId,
        }),
      );
      const scopes = [...new Map((input.consents ?? []).map((c) => [c.scope, c])).values()];
      for (const consent of scopes) await this.insertConsent(tx, principal, patient.id, consent);
      await this.audit.record({ action: 'patient.create', resourceType: 'patient', resourceId: patient.id }, tx);
      return this.view(patient, tx);
    });
  }

  async list(principal: Principal, query: PatientQuery): Promise<Page<PatientView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const qb = this.patients.query('p');
    if (query.q) {
      const words = query.q.trim().split(/\s+/).slice(0, 4);
      words.forEach((word, i) => {
        qb.andWhere(`(p.first_name ILIKE :w${i} OR p.last_name ILIKE :w${i})`, { [`w${i}`]: `%${escapeLike(word)}%` });
      });
    }
    if (query.cursor) {
      const [last, first, id] = decodeCursor(query.cursor, ['text', 'text', 'uuid']);
      qb.andWhere('(p.last_name, p.first_name, p.id) > (:last, :first, :id)', { last, first, id });
    }
    const rows = await qb
      .orderBy('p.last_name')
      .addOrderBy('p.first_name')
      .addOrderBy('p.id')
      .limit(limit + 1)
      .getMany();
    const consents = rows.length
      ? await this.consents
          .query('c')
          .andWhere('c.patient_id IN (:...ids)', { ids: rows.map((r) => r.id) })
          .orderBy('c.created_at')
          .getMany()
      : [];
    await this.audit.record({
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
    );
  }

  async get(principal: Principal, id: string): Promise<PatientView> {
    const patient = await this.audited('patient.read', id, () => this.patients.get(id));
    return this.view(patient);
  }

  async update(principal: Principal, id: string, patch: PatientPatch): Promise<PatientView> {
    return this.db.transaction(async (tx) => {
      const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const patient = Object.keys(changes).length ? await this.patients.update(id, changes, tx) : await this.patients.get(id, tx);
      await this.audit.record(
        { action: 'patient.update', resourceType: 'patient', resourceId: id, details: { fields: Object.keys(changes) } },
        tx,
      );
      return this.view(patient, tx);
    });
  }

  /** Records a consent. Granting a scope that is already active returns the active consent. */
  async grantConsent(principal: Principal, patientId: string, input: ConsentInput): Promise<ConsentView> {
    return this.db.transaction(async (tx) => {
      await this.patients.get(patientId, tx);
      const consent = await this.insertConsent(tx, principal, patientId, input);
      await this.audit.record(
        { action: 'consent.grant', resourceType: 'patient', resourceId: patientId, details: { scope: input.scope } },
        tx,
      );
      return consentView(consent);
    });
  }

  /** Revokes a consent; revoking one already revoked changes nothing. */
  async revokeConsent(principal: Principal, patientId: string, consentId: string): Promise<ConsentView> {
    return this.db.transaction(async (tx) => {
      const consent = await this.consents
        .query('c', tx)
        .andWhere('c.id = :consentId AND c.patient_id = :patientId', { consentId, patientId })
        .getOne();
      if (!consent) throw new AppError('not_found', 'The consent was not found');
      if (consent.revokedAt) return consentView(consent);
      const revoked = await this.consents.update(consentId, { revokedAt: this.clock.now(), revokedBy: principal.userId }, tx);
      await this.audit.record(
        { action: 'consent.revoke', resourceType: 'patient', resourceId: patientId, details: { scope: consent.scope } },
        tx,
      );
      return consentView(revoked);
    });
  }

  /**
   * The patient's one-click unsubscribe: revokes their `patient_notifications` consent with no
   * signed-in actor (the unsubscribe token stood for the patient), audited. Repeating it changes
   * nothing; false when there is no such consent.
   */
  async unsubscribe(consentId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [consent]: { patient_id: string; clinic_id: string; revoked: boolean }[] = await tx.query(
        `SELECT patient_id, clinic_id, revoked_at IS NOT NULL AS revoked FROM patient_consents
          WHERE id = $1 AND scope = 'patient_notifications' FOR UPDATE`,
        [consentId],
      );
      if (!consent) return false;
      if (consent.revoked) return true;
      await tx.query(`UPDATE patient_consents SET revoked_at = $2 WHERE id = $1`, [consentId, this.clock.now()]);
      await this.audit.record(
        {
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

  private async insertConsent(
    tx: EntityManager,
    principal: Principal,
    patientId: string,
    input: ConsentInput,
  ): Promise<ConsentEntity> {
    const grantedAt = input.grantedAt ? new Date(input.grantedAt) : this.clock.now();
    // A savepoint, so a concurrent duplicate does not abort the surrounding transaction.
    await tx.query('SAVEPOINT grant_consent');
    try {
      const consent = await tx.save(
        tx.create(ConsentEntity, {
          patientId,
          clinicId: principal.clinicId,
          scope: input.scope,
          grantedAt,
          recordedBy: principal.userId,
        }),
      );
      await tx.query('RELEASE SAVEPOINT grant_consent');
      return consent;
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT grant_consent');
      if (!isUniqueViolation(error, 'patient_consents_active_key')) throw error;
      return tx.findOneByOrFail(ConsentEntity, { patientId, scope: input.scope, revokedAt: IsNull() });
    }
  }

  private async view(patient: PatientEntity, manager: EntityManager = this.db.manager): Promise<PatientView> {
    const consents = await manager.find(ConsentEntity, { where: { patientId: patient.id }, order: { createdAt: 'ASC' } });
    return patientView(patient, consents);
  }

  private async audited<T>(action: string, id: string, read: () => Promise<T>): Promise<T> {
    try {
      const result = await read();
      await this.audit.record({ action, resourceType: 'patient', resourceId: id });
      return result;
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') {
        await this.audit.record({ action, resourceType: 'patient', resourceId: id, outcome: 'not_found' });
      }
      throw error;
    }
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
