import type { RedFlag } from '../api/types';
import { redFlagLabel } from '../lib/labels';
import { useReferenceData } from '../lib/session-hooks';
import { CheckboxGroup } from './Field';

interface Props {
  /** The step number shown in the heading. */
  step: number;
  redFlags: RedFlag[];
  onRedFlags: (redFlags: RedFlag[]) => void;
  adviceGiven: boolean;
  onAdviceGiven: (given: boolean) => void;
  error?: string;
}

/** True when any of the red flags is an emergency sign (GET /reference-data `emergencyRedFlags`). */
export function useEmergency(redFlags: readonly string[]): boolean {
  const reference = useReferenceData();
  return redFlags.some((flag) => reference.emergencyRedFlags.includes(flag as RedFlag));
}

/**
 * The referral form starts here: red flags first, so an emergency sign (possible cauda equina or
 * DVT) is met with "seek emergency care now" before anything else is asked, and the sender records
 * that they told the client. Any red flag also explains why the referral is urgent.
 */
export function EmergencyScreen({ step, redFlags, onRedFlags, adviceGiven, onAdviceGiven, error }: Props) {
  const reference = useReferenceData();
  const emergency = useEmergency(redFlags);
  return (
    <section className="card stack" aria-labelledby="red-flags-heading">
      <h2 id="red-flags-heading">
        <span className="step">{step}</span> Red flags first
      </h2>
      <CheckboxGroup
        legend="Red flags"
        name="redFlags"
        hint="Tick any sign you noticed. Any red flag makes the referral urgent."
        options={reference.redFlags}
        value={redFlags}
        onChange={(v) => onRedFlags(v as RedFlag[])}
        label={redFlagLabel}
      />
      <div className="red-flag-slot stack" aria-live="polite">
        {emergency && (
          <div className="panel panel-error" data-testid="emergency-advice">
            <p className="panel-title">Seek emergency care now</p>
            <p>{reference.emergencyAdvice}</p>
            <label className="checkbox">
              <input
                type="checkbox"
                name="emergencyAdviceGiven"
                checked={adviceGiven}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? 'emergency-advice-error' : undefined}
                onChange={(e) => onAdviceGiven(e.target.checked)}
              />
              <span>I told the client to seek emergency care now</span>
            </label>
            {error && (
              <p className="field-error" id="emergency-advice-error">
                {error}
              </p>
            )}
          </div>
        )}
        {redFlags.length > 0 && (
          <div className="panel panel-warning" data-testid="red-flag-guidance">
            <p className="panel-title">This referral must be urgent</p>
            <p>{reference.redFlagGuidance}</p>
          </div>
        )}
      </div>
    </section>
  );
}
