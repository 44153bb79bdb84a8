import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { queryRows, sql } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';
import type { ClinicEntity } from '../entities/clinic.entity';
import type { ClinicScope } from '../tenancy/clinic-scope';

/** A clinic row, columns aliased to the entity's property names (what `clinicView` takes). */
export type ClinicRow = Omit<ClinicEntity, never>;

/** The columns of a clinic that are written (all but id and the timestamps). */
export type ClinicFields = Omit<ClinicEntity, 'id' | 'createdAt' | 'updatedAt'>;

/** Each writable property and its column. */
const COLUMNS = {
  name: 'name',
  addressLine1: 'address_line1',
  addressCity: 'address_city',
  addressRegion: 'address_region',
  addressPostalCode: 'address_postal_code',
  addressCountry: 'address_country',
  phone: 'phone',
  timezone: 'timezone',
} as const satisfies Record<keyof ClinicFields, string>;
const COLUMN_NAMES = Object.values(COLUMNS);
const FIELDS = Object.keys(COLUMNS) as (keyof ClinicFields)[];

const CLINIC_COLUMNS = sql`c.id, c.name, c.address_line1 AS "addressLine1", c.address_city AS "addressCity",
  c.address_region AS "addressRegion", c.address_postal_code AS "addressPostalCode", c.address_country AS "addressCountry",
  c.phone, c.timezone, c.created_at AS "createdAt", c.updated_at AS "updatedAt"`;

/** Every statement on `clinics`. A clinic is read and changed only by its own members (its scope). */
@Injectable()
export class ClinicsStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The caller's clinic (a clinic's tenant column is its own id). */
  async own(scope: ClinicScope, manager: EntityManager = this.db.manager): Promise<ClinicRow | null> {
    const [row] = await queryRows<ClinicRow>(
      manager,
      sql`SELECT ${CLINIC_COLUMNS} FROM clinics c WHERE ${scope.owns(sql`c.id`)}`,
    );
    return row ?? null;
  }

  /** Applies the defined `changes` to the caller's clinic; answers it. */
  async updateOwn(scope: ClinicScope, changes: Partial<ClinicFields>, now: Date): Promise<ClinicRow | null> {
    const sets = FIELDS.filter((field) => changes[field] !== undefined).map(
      (field) => sql`${sql.identifier(COLUMN_NAMES, COLUMNS[field])} = ${changes[field]}`,
    );
    const [row] = await queryRows<ClinicRow>(
      this.db.manager,
      sql`UPDATE clinics c SET ${sql.join([...sets, sql`updated_at = ${sql.param(now, 'timestamptz')}`])}
           WHERE ${scope.owns(sql`c.id`)} RETURNING ${CLINIC_COLUMNS}`,
    );
    return row ?? null;
  }

  /** Registration: a new clinic (before anyone is signed in to it). */
  async insert(manager: EntityManager, clinic: ClinicFields, now: Date): Promise<ClinicRow> {
    const [row] = await queryRows<ClinicRow>(
      manager,
      sql`INSERT INTO clinics AS c (${sql.join(FIELDS.map((field) => sql.identifier(COLUMN_NAMES, COLUMNS[field])))}, created_at, updated_at)
          VALUES (${sql.join(FIELDS.map((field) => sql`${clinic[field]}`))}, ${sql.param(now, 'timestamptz')}, ${sql.param(now, 'timestamptz')})
          RETURNING ${CLINIC_COLUMNS}`,
    );
    return row;
  }
}
