import { createTestDatabase, type TestDatabase } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import { CanonicalEmails1764275000000 } from './migrations/1764275000000-CanonicalEmails';

// Addresses stored before the API took one spelling per mailbox are rewritten to it, so their
// owners still sign in; one whose new spelling another account holds is left as it is.

describe('CanonicalEmails migration', () => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    source = createDataSource({ url: db.url, poolSize: 2, applicationName: 'canonical-emails' });
    await source.initialize();
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  const user = async (clinicId: string, email: string): Promise<string> => {
    const [row] = await source.query(
      `INSERT INTO users (clinic_id, email, full_name, role, is_admin) VALUES ($1, $2, 'Someone', 'clinic_admin', true) RETURNING id`,
      [clinicId, email],
    );
    return (row as { id: string }).id;
  };
  const emailOf = async (id: string): Promise<string> =>
    (await source.query<{ email: string }[]>(`SELECT email FROM users WHERE id = $1`, [id]))[0].email;

  it('rewrites decomposed accents and Unicode domains, leaving ASCII and taken spellings alone', async () => {
    const [clinic] = await source.query(
      `INSERT INTO clinics (name, address_line1, address_city, address_region, address_postal_code, address_country, phone, timezone)
       VALUES ('Clinic', '1 Main St', 'Austin', 'TX', '78701', 'US', '+15125550100', 'America/Chicago') RETURNING id`,
    );
    const clinicId = (clinic as { id: string }).id;
    const decomposed = await user(clinicId, 'Jose\u0301@example.test');
    const idn = await user(clinicId, 'pat@B\u00fccher.example');
    const ascii = await user(clinicId, 'Plain@Example.TEST');
    // Two accounts made before, one per spelling of one address: neither is merged into the other.
    const first = await user(clinicId, 'zoe@m\u00fcller.example');
    const second = await user(clinicId, 'zoe@xn--mller-kva.example');

    const runner = source.createQueryRunner();
    try {
      await new CanonicalEmails1764275000000().up(runner);
    } finally {
      await runner.release();
    }

    expect(await emailOf(decomposed)).toBe('Jos\u00e9@example.test');
    expect(await emailOf(idn)).toBe('pat@xn--bcher-kva.example');
    expect(await emailOf(ascii)).toBe('Plain@Example.TEST');
    expect(await emailOf(first)).toBe('zoe@m\u00fcller.example');
    expect(await emailOf(second)).toBe('zoe@xn--mller-kva.example');
  });
});
