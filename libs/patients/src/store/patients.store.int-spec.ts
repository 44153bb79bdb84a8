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
});
