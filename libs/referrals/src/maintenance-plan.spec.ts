import { maintenancePlanView, storedPlan } from './maintenance-plan';

describe('maintenance plans', () => {
  it('reads a plan stored in the old shape with every field present', () => {
    expect(maintenancePlanView({ frequencyWeeks: 2, sessions: 6, focusAreas: ['neck'], precautions: 'Gentle' })).toEqual({
      frequencyWeeks: 2,
      sessionsPerWeek: null,
      sessions: 6,
      durationWeeks: null,
      reviewBy: null,
      goals: [],
      focusAreas: ['neck'],
      pressure: null,
      contraindications: [],
      precautions: 'Gentle',
      reportEveryWeeks: null,
    });
  });

  it('stores a new plan with trimmed texts and nulls for what was left out', () => {
    expect(
      storedPlan({ sessionsPerWeek: 2, pressure: 'light', precautions: '  Avoid the scar  ', goals: [' Walk 5 km '] }),
    ).toEqual(
      expect.objectContaining({ frequencyWeeks: null, sessionsPerWeek: 2, precautions: 'Avoid the scar', goals: ['Walk 5 km'] }),
    );
  });
});
