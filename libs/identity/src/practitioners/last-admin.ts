import { AppError } from '@referloop/common';
import type { EntityManager } from 'typeorm';

/**
 * Call inside the transaction that is about to take `userId`'s admin rights away (or make them
 * inactive): throws 422 `last_admin` unless another active admin of the clinic remains. The
 * clinic row is locked first, so two admins removing each other at once cannot both succeed.
 */
export async function assertAnotherActiveAdmin(tx: EntityManager, clinicId: string, userId: string): Promise<void> {
  await tx.query(`SELECT 1 FROM clinics WHERE id = $1 FOR UPDATE`, [clinicId]);
  const [{ others }]: { others: number }[] = await tx.query(
    `SELECT count(*)::int AS others FROM users WHERE clinic_id = $1 AND id <> $2 AND is_admin AND activated_at IS NOT NULL AND deactivated_at IS NULL`,
    [clinicId, userId],
  );
  if (others === 0) throw new AppError('last_admin', 'The clinic must keep at least one active admin');
}
