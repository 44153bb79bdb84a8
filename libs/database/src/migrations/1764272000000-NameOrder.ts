import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lists of people sort as people read them: "de la Cruz" next to "Dalton" and "Émile" next to
 * "Emma", not after "Zimmerman" as the byte order of the C collation every database here uses put
 * them. `name_order` is the sort key (lower case, accents aside); immutable so it can be indexed
 * (unaccent is only stable because its rules file could change, and it does not here).
 */
export class NameOrder1764272000000 implements MigrationInterface {
  name = 'NameOrder1764272000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION name_order(name text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      RETURN lower(unaccent('unaccent'::regdictionary, name))`);
    await q.query(`DROP INDEX patients_clinic_name_idx`);
    await q.query(
      `CREATE INDEX patients_clinic_name_idx ON patients (clinic_id, name_order(last_name), name_order(first_name), id)`,
    );
    await q.query(`DROP INDEX users_clinic_idx`);
    await q.query(`CREATE INDEX users_clinic_idx ON users (clinic_id, name_order(full_name), id)`);
    await q.query(`DROP INDEX users_directory_idx`);
    await q.query(`CREATE INDEX users_directory_idx ON users (role, name_order(full_name), id) WHERE role <> 'clinic_admin'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX users_directory_idx`);
    await q.query(`CREATE INDEX users_directory_idx ON users (role, full_name, id) WHERE role <> 'clinic_admin'`);
    await q.query(`DROP INDEX users_clinic_idx`);
    await q.query(`CREATE INDEX users_clinic_idx ON users (clinic_id, full_name, id)`);
    await q.query(`DROP INDEX patients_clinic_name_idx`);
    await q.query(`CREATE INDEX patients_clinic_name_idx ON patients (clinic_id, last_name, first_name, id)`);
    await q.query(`DROP FUNCTION name_order(text)`);
  }
}
