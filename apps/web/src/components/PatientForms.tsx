import { type FormEvent, useId, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { errorMessage } from '../api/problem';
import type { ConsentScope, CreatePatient, Patient, PreferredContact } from '../api/types';
import { firstInvalid, useFocusAfterRender } from '../lib/focus';
import { localDate } from '../lib/format';
import { useIdempotencyKeys } from '../lib/hooks';
import { consentExplanation, consentLabel, contactLabel } from '../lib/labels';
import { useReferenceData } from '../lib/session-hooks';
import { apiFieldError, SelectField, TextField } from './Field';
import { Notice } from './Feedback';

const FIELDS = ['firstName', 'lastName', 'dateOfBirth', 'email', 'phone'] as const;
type FieldName = (typeof FIELDS)[number];
export type PatientDetails = Record<FieldName, string>;
const FIELD_LABELS: Record<FieldName, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  dateOfBirth: 'Date of birth',
  email: 'Email',
  phone: 'Phone',
};
const FIELD_TYPES: Record<FieldName, 'text' | 'date' | 'email' | 'tel'> = {
  firstName: 'text',
  lastName: 'text',
  dateOfBirth: 'date',
  email: 'email',
  phone: 'tel',
};
const EMPTY: PatientDetails = { firstName: '', lastName: '', dateOfBirth: '', email: '', phone: '' };

/** What the API takes for a patient's details (blank email or phone: none). */
export const detailsBody = (values: PatientDetails, preferredContact: PreferredContact) => ({
  firstName: values.firstName.trim(),
  lastName: values.lastName.trim(),
  dateOfBirth: values.dateOfBirth,
  email: values.email.trim() || null,
  phone: values.phone.trim() || null,
  preferredContact,
});

/** The patient's details as fields: the same wherever a patient is added or corrected. */
export function PatientFields({
  values,
  onChange,
  contact,
  onContact,
  error,
}: {
  values: PatientDetails;
  onChange: (values: PatientDetails) => void;
  contact: PreferredContact;
  onContact: (contact: PreferredContact) => void;
  error: unknown;
}) {
  const reference = useReferenceData();
  return (
    <div className="grid-2">
      {FIELDS.map((field) => (
        <TextField
          key={field}
          label={FIELD_LABELS[field]}
          error={apiFieldError(error, field)}
          required={field !== 'email' && field !== 'phone'}
          type={FIELD_TYPES[field]}
          // A date of birth is in the past: the date picker offers no later day.
          max={field === 'dateOfBirth' ? localDate(-1) : undefined}
          value={values[field]}
          onChange={(value) => onChange({ ...values, [field]: value })}
        />
      ))}
      <SelectField
        label="Preferred contact"
        error={apiFieldError(error, 'preferredContact')}
        value={contact}
        onChange={onContact}
        options={reference.preferredContacts}
        optionLabel={contactLabel}
      />
    </div>
  );
}

/**
 * The consents a patient gives, one box per scope with what it lets the clinic do: asked the same way
 * wherever a clinic records them (adding a patient, or a follow-up's new copy of one).
 */
export function ConsentChoices({
  value,
  onChange,
  sharingError,
}: {
  value: readonly ConsentScope[];
  onChange: (value: ConsentScope[]) => void;
  /** Sending was tried without the sharing consent: said under the boxes, that box marked. */
  sharingError?: string;
}) {
  const reference = useReferenceData();
  const id = useId();
  return (
    <fieldset className="fieldset" aria-describedby={sharingError ? `${id}-error` : undefined}>
      <legend>Consents given by the patient</legend>
      {reference.consentScopes.map((scope) => (
        <div key={scope}>
          <label className="checkbox">
            <input
              type="checkbox"
              name="consents"
              value={scope}
              checked={value.includes(scope)}
              onChange={(e) => onChange(e.target.checked ? [...value, scope] : value.filter((c) => c !== scope))}
              aria-describedby={`${id}-${scope}`}
              aria-invalid={sharingError && scope === 'referral_sharing' ? true : undefined}
            />
            <span>{consentLabel(scope)}</span>
          </label>
          <p className="hint" id={`${id}-${scope}`}>
            {consentExplanation(scope)}
          </p>
        </div>
      ))}
      {sharingError && (
        <p className="field-error" id={`${id}-error`}>
          {sharingError}
        </p>
      )}
    </fieldset>
  );
}

/**
 * Adds a patient to the clinic, with the consents they gave now: on the Patients page and inside the
 * new-referral form (its own form, not nested in the referral's: its submit adds the patient only).
 */
export function NewPatientForm({
  label,
  onAdded,
  onCancel,
}: {
  /** The form's accessible name. */
  label: string;
  onAdded: (patient: Patient) => void;
  /** Offers Cancel beside Add patient. */
  onCancel?: () => void;
}) {
  const [values, setValues] = useState<PatientDetails>(EMPTY);
  const [contact, setContact] = useState<PreferredContact>('email');
  const [consents, setConsents] = useState<ConsentScope[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const idempotency = useIdempotencyKeys();
  const formRef = useRef<HTMLFormElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    event.stopPropagation();
    setBusy(true);
    setError(null);
    const body: CreatePatient = { ...detailsBody(values, contact), consents: consents.map((scope) => ({ scope })) };
    try {
      onAdded(
        await call(api.POST('/api/v1/patients', { body, params: { header: { 'Idempotency-Key': idempotency.keyFor(body) } } })),
      );
    } catch (e) {
      setError(e);
      setBusy(false);
      // The disabled button has lost focus: start on the first field to fix, or on the message when no field is marked.
      focusAfter(() => firstInvalid(formRef.current) ?? errorRef.current);
    }
  };

  return (
    <form ref={formRef} className="stack" onSubmit={(e) => void submit(e)} noValidate aria-label={label}>
      <PatientFields values={values} onChange={setValues} contact={contact} onContact={setContact} error={error} />
      <ConsentChoices value={consents} onChange={setConsents} />
      {error !== null && (
        <div ref={errorRef} tabIndex={-1}>
          <Notice tone="error">{errorMessage(error)}</Notice>
        </div>
      )}
      <div className="actions-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add patient'}
        </button>
        {onCancel && (
          <button type="button" className="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
