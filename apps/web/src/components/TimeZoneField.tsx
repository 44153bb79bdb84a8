import { useMemo } from 'react';
import { timeZoneChoices, zoneLabel } from '../lib/time-zones';
import { Field } from './Field';

/** A clinic's time zone: every zone, with `value` (the browser's, or the clinic's own) among them. */
export function TimeZoneField({ value, onChange, error }: { value: string; onChange: (zone: string) => void; error?: string }) {
  const zones = useMemo(() => timeZoneChoices(value), [value]);
  return (
    <Field label="Time zone" required error={error}>
      {(props) => (
        <select {...props} name="timezone" value={value} onChange={(e) => onChange(e.target.value)}>
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {zoneLabel(zone)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
