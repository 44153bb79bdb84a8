import { createDataSource } from '@referloop/database';
import { createTestDatabase, statementPlan, type TestDatabase } from '@referloop/testing';
import { ClinicScope } from '@referloop/identity';
import type { DataSource } from 'typeorm';
import { type AuditFilter, AdminStore } from './admin.store';

// The admin store's statements against a real database, for the shape of their plans: a clinic
// that receives many referrals has as many party rows (other clinics' reads of those referrals) as
// its own audit rows, so a filter each branch does not bound by its index walks all of them.

describe('the admin store', () => {
  let db: TestDatabase;
  let source: DataSource;
  let clinicId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    source = createDataSource({ url: db.url, poolSize: 1, applicationName: 'admin-store-check' });
    await source.initialize();
    [{ id: clinicId }] = await source.query<{ id: string }[]>(
      `INSERT INTO clinics (name, address_line1, address_city, address_region, address_postal_code, address_country, phone, timezone)
       VALUES ('Party Clinic', '1 Main St', 'Austin', 'TX', '78701', 'US', '+1 512 555 0100', 'America/Chicago') RETURNING id`,
    );
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  /** The plan of the statement `run` sends, as JSON. */
  const planOf = (run: (store: AdminStore) => Promise<unknown>) => statementPlan(source, (db) => new AdminStore(db), run, 'JSON');

  /** Every node of a JSON plan. */
  const nodesOf = (plan: string) =>
    (JSON.parse(plan) as unknown[]).flatMap(function nodes(node: unknown): Record<string, unknown>[] {
      const n = node as Record<string, unknown>;
      const children = [n.Plan, ...((n.Plans as unknown[]) ?? [])].filter(Boolean);
      return [n, ...children.flatMap(nodes)];
    });

  it("bounds the other clinics' audit rows by a window's dates in their index, not only the clinic", async () => {
    const scope = ClinicScope.of({ clinicId, userId: clinicId, isAdmin: true });
    const plan = await planOf((s) =>
      s.auditEvents(scope, { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-02-01T00:00:00Z'), limit: 101 }),
    );
    const party = nodesOf(plan).find((n) => n['Index Name'] === 'audit_event_clinics_clinic_idx');
    expect(party?.['Index Cond']).toContain('occurred_at >=');
    expect(party?.['Index Cond']).toContain('occurred_at <');
  });

  // A filter that matches few of the other clinics' rows (one of this clinic's practitioners, a rare
  // action, patients) must not join every party row to its event to test it.
  it.each<[string, Omit<AuditFilter, 'limit'>, string, string]>([
    ['actorId', { actorId: '00000000-0000-4000-8000-000000000009' }, 'audit_event_clinics_clinic_actor_idx', 'actor_id ='],
    ['action', { action: 'consent.revoke' }, 'audit_event_clinics_clinic_action_idx', 'action ='],
    ['resourceType', { resourceType: 'patient' }, 'audit_event_clinics_clinic_resource_idx', 'resource_type ='],
  ])(
    "finds the other clinics' audit rows filtered by %s in a range of their own index",
    async (_name, filter, index, condition) => {
      const scope = ClinicScope.of({ clinicId, userId: clinicId, isAdmin: true });
      const plan = await planOf((s) => s.auditEvents(scope, { ...filter, limit: 101 }));
      const party = nodesOf(plan).find((n) => n['Relation Name'] === 'audit_event_clinics');
      expect(party?.['Index Name']).toBe(index);
      expect(party?.['Index Cond']).toContain(condition);
    },
  );
});
