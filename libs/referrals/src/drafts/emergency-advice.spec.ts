import { AppError, EMERGENCY_RED_FLAGS, hasEmergencyRedFlag, RED_FLAGS } from '@referloop/common';
import { assertEmergencyAdvice } from '../referral-rules';

// Sending with an emergency sign needs the sender's record that the client was told to seek emergency care now.

describe('emergency advice', () => {
  it('the emergency signs are the three SPEC names, all of them red flags', () => {
    expect([...EMERGENCY_RED_FLAGS].sort()).toEqual(['bladder_bowel_change', 'calf_swelling_redness', 'saddle_numbness']);
    for (const flag of EMERGENCY_RED_FLAGS) expect(RED_FLAGS).toContain(flag);
  });

  it('each emergency sign needs the advice; other red flags do not', () => {
    for (const flag of RED_FLAGS) {
      const emergency = (EMERGENCY_RED_FLAGS as readonly string[]).includes(flag);
      expect(hasEmergencyRedFlag(['night_pain', flag])).toBe(emergency);
      if (emergency) {
        let error: unknown;
        try {
          assertEmergencyAdvice(['night_pain', flag], false);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(AppError);
        expect(error).toMatchObject({
          code: 'emergency_advice_required',
          extensions: { errors: [{ field: 'emergencyAdviceGiven' }] },
        });
        expect(() => assertEmergencyAdvice(['night_pain', flag], true)).not.toThrow();
      } else {
        expect(() => assertEmergencyAdvice([flag], false)).not.toThrow();
      }
    }
    expect(() => assertEmergencyAdvice([], false)).not.toThrow();
  });
});
