import { sql } from '@referloop/database';
import { ClinicScope } from './clinic-scope';

describe('ClinicScope', () => {
  it('puts the caller’s clinic into a condition as a parameter', () => {
    const scope = ClinicScope.of({ clinicId: 'c-1', userId: 'u-1', isAdmin: false });
    const q = sql`SELECT id FROM patients p WHERE ${scope.owns(sql`p.clinic_id`)} AND p.id = ${'p-1'}`;
    expect(q.text).toBe('SELECT id FROM patients p WHERE p.clinic_id = $1::uuid AND p.id = $2');
    expect(q.values).toEqual(['c-1', 'p-1']);
    expect(scope).toMatchObject({ clinicId: 'c-1', userId: 'u-1', isAdmin: false });
  });
});
