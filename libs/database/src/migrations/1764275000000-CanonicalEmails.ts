import { domainToASCII } from 'node:url';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The API now takes an email address in one spelling (accents composed, an international domain
 * as xn--…; apps/api/src/http/validators.ts), and so compares sign-ins, resets and invitations in
 * it. Addresses stored before in another spelling (sent through the API: a browser already sends
 * the xn-- form) are rewritten to it, or their owners could no longer sign in. An address whose
 * new spelling another row already holds keeps its own: two accounts are never merged here.
 */
export function canonicalEmail(value: string): string {
  // A copy of the API's function as it was when this ran: a migration does not change with the code.
  const composed = value.normalize('NFC');
  const at = composed.lastIndexOf('@');
  const domain = composed.slice(at + 1);
  if (at < 0 || /^[\p{ASCII}]*$/u.test(domain)) return composed;
  const ascii = domainToASCII(domain);
  return ascii ? `${composed.slice(0, at)}@${ascii}` : composed;
}

/** Each table with an address, and what makes a new spelling taken there (its unique index's rows). */
const TABLES = [
  { table: 'users', taken: `SELECT 1 FROM users o WHERE lower(o.email) = lower($1)` },
  {
    table: 'referral_invites',
    taken: `SELECT 1 FROM referral_invites o, referral_invites t
             WHERE t.id = $2 AND t.joined_at IS NULL AND o.joined_at IS NULL
               AND o.sender_clinic_id = t.sender_clinic_id AND lower(o.email) = lower($1)`,
  },
  { table: 'invitations', taken: `SELECT 1 WHERE false` },
  { table: 'patients', taken: `SELECT 1 WHERE false` },
] as const;

export class CanonicalEmails1764275000000 implements MigrationInterface {
  name = 'CanonicalEmails1764275000000';

  async up(q: QueryRunner): Promise<void> {
    for (const { table, taken } of TABLES) {
      // Only an address with a character beyond ASCII can have another spelling.
      const rows = (await q.query(
        `SELECT id, email FROM ${table} WHERE email IS NOT NULL AND octet_length(email) <> char_length(email)`,
      )) as { id: string; email: string }[];
      for (const row of rows) {
        const email = canonicalEmail(row.email);
        if (email === row.email) continue;
        await q.query(`UPDATE ${table} SET email = $1 WHERE id = $2 AND NOT EXISTS (${taken})`, [email, row.id]);
      }
    }
  }

  async down(): Promise<void> {
    // The earlier spellings are not kept: they named the same mailboxes.
  }
}
