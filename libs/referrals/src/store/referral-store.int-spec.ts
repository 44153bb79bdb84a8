import { Clock } from '@referloop/common';
import { createDataSource } from '@referloop/database';
import { AuditLog, ClinicScope } from '@referloop/identity';
import { createTestDatabase, statementPlan, type TestDatabase } from '@referloop/testing';
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

  /** The plan of the statement `run` sends, as text or JSON. */
  const planOf = (run: (store: ReferralStore) => Promise<unknown>, format: 'TEXT' | 'JSON' = 'TEXT') =>
    statementPlan(source, (db) => new ReferralStore(db, new AuditLog(source, new Clock())), run, format);

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
