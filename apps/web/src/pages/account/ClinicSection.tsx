import { type FormEvent, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { updateUser } from '../../api/session';
import { apiFieldError, TextField } from '../../components/Field';
import { TimeZoneField } from '../../components/TimeZoneField';
import { ErrorPanel, Loading, Notice } from '../../components/Feedback';
import { firstInvalid, useFocusAfterRender } from '../../lib/focus';
import { useAsync } from '../../lib/hooks';
import { useUser } from '../../lib/session-hooks';

interface ClinicValues {
  name: string;
  phone: string;
  line1: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
  timezone: string;
}

/** The form's text fields: each value, the API field it is sent as (and errors name), and its label. */
const TEXT_FIELDS: {
  key: Exclude<keyof ClinicValues, 'timezone'>;
  path: string;
  label: string;
  type?: 'tel';
  autoComplete?: string;
  hint?: string;
}[] = [
  { key: 'name', path: 'name', label: 'Name' },
  { key: 'phone', path: 'phone', label: 'Phone', type: 'tel', autoComplete: 'tel' },
  { key: 'line1', path: 'address.line1', label: 'Street address', autoComplete: 'address-line1' },
  { key: 'city', path: 'address.city', label: 'City', autoComplete: 'address-level2' },
  { key: 'region', path: 'address.region', label: 'State or province', autoComplete: 'address-level1' },
  { key: 'postalCode', path: 'address.postalCode', label: 'Postal code', autoComplete: 'postal-code' },
  { key: 'country', path: 'address.country', label: 'Country', autoComplete: 'country', hint: 'Two letters, e.g. US or CA' },
];

/**
 * The clinic's details, changed by its admins (a solo practitioner is one): the name, phone and
 * address patients are given in their emails, and the time zone every appointment is shown in.
 */
export function ClinicSection() {
  const clinic = useAsync(() => call(api.GET('/api/v1/clinics/me')), []);
  return (
    <section className="card" aria-labelledby="clinic-heading">
      <h2 id="clinic-heading">Your clinic</h2>
      <p className="muted">
        Patients are given this name, phone and address in their emails; appointments are shown in this time zone.
      </p>
      {clinic.error !== undefined ? (
        <ErrorPanel error={clinic.error} onRetry={() => void clinic.reload()} />
      ) : !clinic.data ? (
        <Loading />
      ) : (
        <ClinicForm
          initial={{
            name: clinic.data.name,
            phone: clinic.data.phone,
            line1: clinic.data.address.line1,
            city: clinic.data.address.city,
            region: clinic.data.address.region,
            postalCode: clinic.data.address.postalCode,
            country: clinic.data.address.country,
            timezone: clinic.data.timezone,
          }}
        />
      )}
    </section>
  );
}

function ClinicForm({ initial }: { initial: ClinicValues }) {
  const [values, setValues] = useState(initial);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof ClinicValues) => (value: string) => setValues((v) => ({ ...v, [key]: value }));
  const fieldError = (field: string) => apiFieldError(error, field);
  const user = useUser();
  const formRef = useRef<HTMLFormElement>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const updated = await call(
        api.PATCH('/api/v1/clinics/me', {
          body: {
            name: values.name.trim(),
            phone: values.phone.trim(),
            timezone: values.timezone,
            address: {
              line1: values.line1.trim(),
              city: values.city.trim(),
              region: values.region.trim(),
              postalCode: values.postalCode.trim(),
              country: values.country.trim(),
            },
          },
        }),
      );
      setValues({ ...values, country: updated.address.country });
      // The header names the clinic: show the new name at once.
      if (user?.clinic) {
        const { address } = updated;
        updateUser({
          ...user,
          clinic: {
            ...user.clinic,
            name: updated.name,
            city: address.city,
            region: address.region,
            postalCode: address.postalCode,
            country: address.country,
          },
        });
      }
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
    // The button was disabled while saving, which dropped focus: on to a field to fix, or what came of it.
    focusAfter(() => firstInvalid(formRef.current) ?? resultRef.current);
  };

  return (
    <form ref={formRef} className="stack" onSubmit={(e) => void submit(e)} noValidate aria-label="Your clinic">
      <div className="grid-2">
        {TEXT_FIELDS.map(({ key, path, label, ...props }) => (
          <TextField
            key={key}
            label={label}
            required
            error={fieldError(path)}
            value={values[key]}
            onChange={set(key)}
            {...props}
          />
        ))}
        <TimeZoneField value={values.timezone} onChange={set('timezone')} error={fieldError('timezone')} />
      </div>
      <div ref={resultRef} tabIndex={-1} className="flash-slot">
        {error !== null && <Notice tone="error">{errorMessage(error)}</Notice>}
        {saved && <Notice tone="success">Your clinic&apos;s details are saved.</Notice>}
      </div>
      <div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save clinic details'}
        </button>
      </div>
    </form>
  );
}
