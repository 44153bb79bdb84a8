import { type AppError, notFound, RequestContext } from '@referloop/common';
import type { EntityManager, ObjectLiteral, Repository, SelectQueryBuilder } from 'typeorm';

/**
 * The tenant-scoping mechanism: every read or write of a clinic-owned row goes through one of
 * these, which adds `clinic_id = <caller's clinic>` itself. A row of another clinic is therefore
 * "not found" (404) by construction, never by remembering a `where` in each service.
 *
 * Cross-clinic reads that the product wants (the practitioner directory, referrals between
 * clinics) are explicit, separate queries that select only what may be shown.
 */
export class ClinicScopedRepository<T extends ObjectLiteral & { id: string }> {
  constructor(
    private readonly repository: Repository<T>,
    /** Human name used in the 404 detail, e.g. "practitioner". */
    private readonly what: string,
    /** The column holding the owning clinic (the clinic's own id for the clinics table). */
    private readonly clinicColumn: keyof T & string = 'clinicId',
  ) {}

  private clinicId(): string {
    return RequestContext.principal().clinicId;
  }

  private notFound(): AppError {
    return notFound(this.what);
  }

  /** A query builder already restricted to the caller's clinic. */
  query(alias: string, manager?: EntityManager): SelectQueryBuilder<T> {
    const repo = manager ? manager.getRepository<T>(this.repository.target) : this.repository;
    const column = repo.metadata.findColumnWithPropertyName(this.clinicColumn);
    if (!column) throw new Error(`${this.what}: no column for ${this.clinicColumn}`);
    return repo
      .createQueryBuilder(alias)
      .where(`${alias}.${column.databaseName} = :tenantClinicId`, { tenantClinicId: this.clinicId() });
  }

  async get(id: string, manager?: EntityManager): Promise<T> {
    const row = await this.query('row', manager).andWhere('row.id = :id', { id }).getOne();
    if (!row) throw this.notFound();
    return row;
  }

  /** Applies `patch` to the caller's clinic's row `id`; 404 when it belongs to another clinic. */
  async update(id: string, patch: Partial<T>, manager?: EntityManager): Promise<T> {
    const repo = manager ? manager.getRepository<T>(this.repository.target) : this.repository;
    const where = { id, [this.clinicColumn]: this.clinicId() } as never;
    const result = await repo.update(where, patch);
    if (!result.affected) throw this.notFound();
    return this.get(id, manager);
  }
}
