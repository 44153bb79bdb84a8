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
  async function planOf(run: (store: ReferralStore) => Promise<unknown>, format: 'TEXT' | 'JSON' = 'TEXT'): Promise<string> {
    const runner = source.createQueryRunner();
    const query = jest.spyOn(runner, 'query');
    try {
      // The store on this runner's connection (its manager), so the statement is the one captured.
      await run(new ReferralStore({ manager: runner.manager } as unknown as DataSource, new AuditLog(source, new Clock())));
      // A prepared statement goes as pg's { name, text }.
      const [statement, parameters] = query.mock.calls[0] as [string | { text: string }, unknown[]];
      const text = typeof statement === 'string' ? statement : statement.text;
      query.mockRestore();
      // A test database's tables are tiny: without this the planner reads them whole either way.
      await runner.query(`SET enable_seqscan = off`);
      const rows = (await runner.query(`EXPLAIN (FORMAT ${format}) ${text}`, parameters)) as { 'QUERY PLAN': unknown }[];
      return format === 'JSON' ? JSON.stringify(rows[0]['QUERY PLAN']) : rows.map((row) => row['QUERY PLAN']).join('\n');
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

  it("pages a box by priority down the box index, a page's rows at a time, not sorting every referral of the box", async () => {
    const userId = '00000000-0000-4000-8000-000000000002';
    const scope = ClinicScope.of({ clinicId: '00000000-0000-4000-8000-000000000001', userId, isAdmin: false });
    for (const after of [undefined, { rank: 1, ts: '2026-01-01T00:00:00.000000Z', id: userId }]) {
      const plan = JSON.parse(
        await planOf((store) => store.box(scope, { box: 'received', byPriority: true, after, limit: 20 }), 'JSON'),
      );
      // Each scan of the box index is cut by its LIMIT in the index's order: no Sort between them.
      const cutBy: string[] = [];
      (function walk(node: Record<string, unknown>, nearest: string | undefined) {
        const type = node['Node Type'] as string;
        if (node['Index Name'] === 'referrals_recipient_box_idx') cutBy.push(nearest ?? 'nothing');
        const next = type === 'Limit' || type === 'Sort' ? type : nearest;
        for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child, next);
      })(plan[0].Plan, undefined);
      expect(cutBy.length).toBeGreaterThan(0);
      expect(cutBy.every((by) => by === 'Limit')).toBe(true);
    }
  });
});
