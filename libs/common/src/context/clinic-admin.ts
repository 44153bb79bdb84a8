import { AppError } from '../errors';
import type { Principal } from './request-context';

/**
 * Whether the caller holds admin rights over their clinic. The one place that decides it, so
 * moving from the `clinic_admin` role to an `isAdmin` flag changes this function only.
 */
export function isClinicAdmin(principal: Principal): boolean {
  return principal.role === 'clinic_admin';
}

export function assertClinicAdmin(principal: Principal): void {
  if (!isClinicAdmin(principal)) throw new AppError('forbidden', 'Only an admin of the clinic may do this');
}
