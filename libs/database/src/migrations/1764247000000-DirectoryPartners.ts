import { readFileSync } from 'node:fs';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One entry of the `zipcodes` package's data files (US ZIP codes, Canadian forward sortation areas). */
interface DatasetEntry {
  zip: string;
  latitude: number;
  longitude: number;
}

/**
 * The directory's `near` search: postal-code centroids in a table (US ZIP codes and Canadian FSAs from
 * the `zipcodes` package, BSD), so distances and their ordering are computed in SQL and the API never
 * holds the dataset in memory. `postal_centroid_code` maps any written postal code to its table key.
 * Saved partners: a practitioner's own and a clinic's preferred practitioners.
 */
export class DirectoryPartners1764247000000 implements MigrationInterface {
  name = 'DirectoryPartners1764247000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE postal_centroids (
        code text PRIMARY KEY,
        country text NOT NULL CHECK (country IN ('US', 'CA')),
        latitude double precision NOT NULL,
        longitude double precision NOT NULL
      )`);
    // "80202-1234" → "80202"; "m5v 3l9" → "M5V"; anything else has no centroid.
    await q.query(`
      CREATE FUNCTION postal_centroid_code(postal_code text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
      AS $$
        SELECT CASE WHEN c ~ '^[0-9]{5}([0-9]{4})?$' THEN left(c, 5)
                    WHEN c ~ '^[A-Z][0-9][A-Z]([0-9][A-Z][0-9])?$' THEN left(c, 3) END
          FROM (SELECT upper(regexp_replace(postal_code, '[\\s-]', '', 'g')) AS c) normalized
      $$`);
    for (const [country, file] of [
      ['US', 'zipcodes/lib/codes'],
      ['CA', 'zipcodes/lib/codesCanada'],
    ] as const) {
      const entries = loadDataset(file);
      await q.query(
        `INSERT INTO postal_centroids (code, country, latitude, longitude)
         SELECT code, $1, latitude, longitude FROM unnest($2::text[], $3::float8[], $4::float8[]) AS t(code, latitude, longitude)`,
        [country, entries.map((e) => e.zip), entries.map((e) => e.latitude), entries.map((e) => e.longitude)],
      );
    }
    await q.query(`
      CREATE TABLE user_partners (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        practitioner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, practitioner_id),
        CHECK (user_id <> practitioner_id)
      )`);
    await q.query(`CREATE INDEX user_partners_practitioner_idx ON user_partners (practitioner_id)`);
    await q.query(`
      CREATE TABLE clinic_partners (
        clinic_id uuid NOT NULL REFERENCES clinics(id) ON DELETE CASCADE,
        practitioner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        added_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (clinic_id, practitioner_id)
      )`);
    await q.query(`CREATE INDEX clinic_partners_practitioner_idx ON clinic_partners (practitioner_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE clinic_partners`);
    await q.query(`DROP TABLE user_partners`);
    await q.query(`DROP FUNCTION postal_centroid_code(text)`);
    await q.query(`DROP TABLE postal_centroids`);
  }
}

/**
 * One of the package's data files (`exports.codes = {…JSON…};`), read as text and parsed as JSON rather
 * than loaded as a module: compiling the 5 MB module kept ~70 MiB of resident memory in the process
 * that migrates (the API itself on an embedded first start); parsing peaks at ~25 MiB and lets it go.
 */
function loadDataset(file: string): DatasetEntry[] {
  const text = readFileSync(require.resolve(file), 'utf8');
  const start = text.indexOf('{', text.indexOf('exports.codes'));
  const end = text.indexOf(';\n', start);
  const codes = JSON.parse(text.slice(start, end)) as Record<string, DatasetEntry>;
  const entries = Object.values(codes).filter((e) => Number.isFinite(e.latitude) && Number.isFinite(e.longitude));
  if (entries.length === 0) throw new Error(`${file}: no postal-code centroids found`);
  return entries;
}
