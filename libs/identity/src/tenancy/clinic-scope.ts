import { isClinicAdmin, type Principal } from '@referloop/common';
import { sql, type Sql } from '@referloop/database';

/**
 * Tenancy by construction: the caller's clinic (and who they are in it), made only from a
 * signed-in principal. Every store method that reads or writes clinic-owned rows takes one, so a
 * statement on those rows cannot be written without the caller's clinic in it; a row of another
 * clinic is then "not found" (404). Reads across clinics (the practitioner directory, referrals
 * between clinics) are separate, named store methods that select only what may be shown.
 */
export class ClinicScope {
  private constructor(
    readonly clinicId: string,
    readonly userId: string,
    readonly isAdmin: boolean,
  ) {}

  static of(principal: Pick<Principal, 'clinicId' | 'userId' | 'isAdmin'>): ClinicScope {
    return new ClinicScope(principal.clinicId, principal.userId, isClinicAdmin(principal));
  }

  /** `<column> = <caller's clinic>`, for a WHERE clause: `sql\`… WHERE ${scope.owns(sql\`p.clinic_id\`)}\``. */
  owns(clinicColumn: Sql): Sql {
    return sql`${clinicColumn} = ${sql.param(this.clinicId, 'uuid')}`;
  }
}
