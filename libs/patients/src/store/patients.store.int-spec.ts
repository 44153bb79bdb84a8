import { createDataSource } from '@referloop/database';
import { ClinicScope } from '@referloop/identity';
import { createTestDatabase, type TestDatabase } from '@referloop/testing';
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

  /** The plan of the statement `run` sends (captured on its way to the real database), as text. */
  async function planOf(run: (store: PatientsStore) => Promise<unknown>): Promise<string> {
    const runner = source.createQueryRunner();
    const query = jest.spyOn(runner, 'query');
    try {
      // The store on this runner's connection (its manager), so the statement is the one captured.
      await run(new PatientsStore({ manager: runner.manager } as unknown as DataSource));
      const [text, parameters] = query.mock.calls[0] as [string, unknown[]];
      query.mockRestore();
      // A test database's tables are tiny: without this the planner reads them whole either way.
      await runner.query(`SET enable_seqscan = off`);
      const rows = (await runner.query(`EXPLAIN ${text}`, parameters)) as { 'QUERY PLAN': string }[];
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    } finally {
      await runner.query(`RESET enable_seqscan`);
      await runner.release();
    }
  }

  it("reads patients' consents by the patients' index, revoked ones included, not by scanning every consent", async () => {
    const clinicId = '00000000-0000-4000-8000-000000000001';
    const scope = ClinicScope.of({ clinicId, userId: clinicId, isAdmin: true });
    const plan = await planOf((store) => store.consentsOf(scope, ['00000000-0000-4000-8000-000000000002']));
    expect(plan).toMatch(/Index Scan on patient_consents_patient_idx|Index Scan using patient_consents_patient_idx/);
    expect(plan).not.toContain('Seq Scan on patient_consents');
  });
});
