import { AppError } from '../errors';
import { isClinicAdmin, type Principal } from './request-context';

export function assertClinicAdmin(principal: Principal): void {
  if (!isClinicAdmin(principal)) throw new AppError('forbidden', 'Only an admin of the clinic may do this');
}
