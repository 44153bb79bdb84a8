import { Clock } from '@referloop/common';
import { createDataSource } from '@referloop/database';
import { AuditLog, ClinicScope } from '@referloop/identity';
import { createTestDatabase, type TestDatabase } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { ReferralStore } from './referral-store';

// The referral store's statements against a real database, for the shape of their plans: an admin
// screen of one clinic must not read every clinic's referrals.

describe('the referral store', () => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    source = createDataSource({ url: db.url, poolSize: 1, applicationName: 'referral-store-check' });
    await source.initialize();
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  /** The plan of the statement `run` sends (captured on its way to the real database), as text. */
  async function planOf(run: (store: ReferralStore) => Promise<unknown>): Promise<string> {
    const runner = source.createQueryRunner();
    const query = jest.spyOn(runner, 'query');
    try {
      // The store on this runner's connection (its manager), so the statement is the one captured.
      await run(new ReferralStore({ manager: runner.manager } as unknown as DataSource, new AuditLog(source, new Clock())));
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

  it("finds a clinic's unowned referrals from its deactivated users, down the box indexes, not by reading every referral", async () => {
    const clinicId = '00000000-0000-4000-8000-000000000001';
    const scope = ClinicScope.of({ clinicId, userId: clinicId, isAdmin: true });
    const plan = await planOf((store) => store.unowned(scope, undefined, 20));
    expect(plan).toContain('referrals_sender_box_idx');
    expect(plan).toContain('referrals_recipient_box_idx');
    expect(plan).not.toContain('Seq Scan on referrals');
  });
});
