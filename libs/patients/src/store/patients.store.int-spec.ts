import { createDataSource } from '@referloop/database';
import { ClinicScope } from '@referloop/identity';
import { createTestDatabase, statementPlan, type TestDatabase } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { PatientsStore } from './patients.store';

// The patients store's statements against a real database, for the shape of their plans: every
// patient read, list page and search answer carries the patients' consents, so reading them must
// not grow with every clinic's consents.

describe('the patients store', () => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    source = createDataSource({ url: db.url, poolSize: 1, applicationName: 'patients-store-check' });
    await source.initialize();
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  /** The plan of the statement `run` sends, as text. */
  const planOf = (run: (store: PatientsStore) => Promise<unknown>) => statementPlan(source, (db) => new PatientsStore(db), run);

  it("reads patients' consents by the patients' index, revoked ones included, not by scanning every consent", async () => {
    const clinicId = '00000000-0000-4000-8000-000000000001';
    const scope = ClinicScope.of({ clinicId, userId: clinicId, isAdmin: true });
    const plan = await planOf((store) => store.consentsOf(scope, ['00000000-0000-4000-8000-000000000002']));
    expect(plan).toMatch(/Index Scan on patient_consents_patient_idx|Index Scan using patient_consents_patient_idx/);
    expect(plan).not.toContain('Seq Scan on patient_consents');
  });

  // A surname's matches all sort together in the list's order: walking the list's index until a page
  // matched read every name sorted before them (most of a large clinic for a name late in the alphabet).
  it("finds the patients a search word matches by the names' trigram indexes, then sorts them", async () => {
    // A clinic of 5,000 patients, few of them named like the word (the choice is the planner's, by the counts).
    const [{ id: clinicId }] = await source.query<{ id: string }[]>(
      `INSERT INTO clinics (name, address_line1, address_city, address_region, address_postal_code, address_country, phone, timezone)
       VALUES ('Search Clinic', '1 Main St', 'Austin', 'TX', '78701', 'US', '+1 512 555 0100', 'America/Chicago') RETURNING id`,
    );
    const [{ id: userId }] = await source.query<{ id: string }[]>(
      `INSERT INTO users (clinic_id, email, full_name, role, is_admin)
       VALUES ($1, 'search-admin@example.com', 'Search Admin', 'clinic_admin', true) RETURNING id`,
      [clinicId],
    );
    await source.query(
      `INSERT INTO patients (clinic_id, first_name, last_name, date_of_birth, preferred_contact, created_by)
       SELECT $1, 'Pat ' || n, CASE WHEN n % 500 = 0 THEN 'Schröder' ELSE 'Name ' || md5(n::text) END, DATE '1980-01-01', 'phone', $2
         FROM generate_series(1, 5000) n`,
      [clinicId, userId],
    );
    await source.query(`ANALYZE patients`);
    const scope = ClinicScope.of({ clinicId, userId, isAdmin: true });
    const plan = await planOf((store) => store.page(scope, { words: ['schroder'], limit: 51 }));
    expect(plan).toContain('patients_first_name_trgm_idx');
    expect(plan).toContain('patients_last_name_trgm_idx');
  });

  it('walks the list in name order for a word too short for a trigram', async () => {
    const clinicId = '00000000-0000-4000-8000-000000000001';
    const scope = ClinicScope.of({ clinicId, userId: clinicId, isAdmin: true });
    const plan = await planOf((store) => store.page(scope, { words: ['jo'], limit: 51 }));
    expect(plan).toMatch(/Index Scan using patients_clinic_name_idx/);
    expect(plan).not.toContain('trgm');
  });
});
