import { useEffect, useId, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { errorMessage } from '../api/problem';
import type { Patient } from '../api/types';
import { useFocusAfterRender } from '../lib/focus';
import { formatDate, formatDateTime, fullName } from '../lib/format';
import { ErrorPanel, Notice } from './Feedback';
import { Field } from './Field';
import { NewPatientForm } from './PatientForms';

export const sharingConsent = (patient: Patient) => patient.consents.find((c) => c.scope === 'referral_sharing' && c.active);

interface Props {
  selected: Patient | null;
  onSelect: (patient: Patient | null) => void;
  error?: string;
  /** Sending was tried without the patient's consent to sharing on record. */
  consentError?: string;
}

/** Pick one of the clinic's patients or add one, then make sure the sharing consent is on record. */
export function PatientPicker({ selected, onSelect, error, consentError }: Props) {
  const [mode, setMode] = useState<'search' | 'add'>('search');
  const box = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  // The search or the form gives way to the chosen patient (and back): focus follows, not to <body>.
  const choose = (patient: Patient) => {
    onSelect(patient);
    focusAfter(() => box.current?.querySelector('[data-testid="selected-patient"]'));
  };
  const change = () => {
    onSelect(null);
    focusAfter(() => box.current?.querySelector('input'));
  };
  if (selected) {
    return (
      <div ref={box}>
        <SelectedPatient patient={selected} onChange={change} onUpdate={onSelect} error={error} consentError={consentError} />
      </div>
    );
  }
  return (
    <div ref={box} className="stack">
      <div className="segmented" role="group" aria-label="Patient">
        <button
          type="button"
          className="button button-secondary"
          aria-pressed={mode === 'search'}
          onClick={() => setMode('search')}
        >
          Find a patient
        </button>
        <button type="button" className="button button-secondary" aria-pressed={mode === 'add'} onClick={() => setMode('add')}>
          Add a new patient
        </button>
      </div>
      {error && <p className="field-error">{error}</p>}
      {mode === 'search' ? (
        <PatientSearch onSelect={choose} />
      ) : (
        <div className="subform">
          <NewPatientForm label="New patient" onAdded={choose} />
        </div>
      )}
    </div>
  );
}

function PatientSearch({ onSelect }: { onSelect: (patient: Patient) => void }) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState<Patient[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const search = async () => {
      try {
        // In the body: a patient's name never goes into an address (see POST /patients/search).
        const page = await call(api.POST('/api/v1/patients/search', { body: { q: q.trim() || undefined, limit: 8 } }));
        setResults(page.items);
        setError(null);
      } catch (e) {
        setError(e);
      }
    };
    const timer = setTimeout(() => void search(), 250);
    return () => clearTimeout(timer);
  }, [q]);

  return (
    <div className="stack">
      <Field label="Search your clinic's patients" hint="First or last name.">
        {(p) => <input {...p} type="search" value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" />}
      </Field>
      {error !== null && <ErrorPanel error={error} title="Could not search patients" />}
      <div className="result-list" aria-live="polite">
        {results === null ? (
          <p className="muted">Searching…</p>
        ) : results.length === 0 ? (
          <p className="muted">No patient found. Add a new patient instead.</p>
        ) : (
          <ul className="choices">
            {results.map((patient) => (
              <li key={patient.id}>
                <button type="button" className="choice" onClick={() => onSelect(patient)}>
                  <span className="choice-title">{fullName(patient)}</span>
                  <span className="muted small">
                    Born {formatDate(patient.dateOfBirth)}
                    {sharingConsent(patient) ? ' · sharing consent on file' : ' · no sharing consent'}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function SelectedPatient({
  patient,
  onChange,
  onUpdate,
  error,
  consentError,
}: {
  patient: Patient;
  onChange: () => void;
  onUpdate: (patient: Patient) => void;
  error?: string;
  consentError?: string;
}) {
  const consent = sharingConsent(patient);
  const [confirmed, setConfirmed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const consentRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  const consentErrorId = useId();

  const record = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const granted = await call(
        api.POST('/api/v1/patients/{id}/consents', { params: { path: { id: patient.id } }, body: { scope: 'referral_sharing' } }),
      );
      onUpdate({ ...patient, consents: [...patient.consents.filter((c) => c.id !== granted.id), granted] });
      // The button gives way to the consent on record: focus it there.
      focusAfter(() => consentRef.current);
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack">
      <div className="selected" data-testid="selected-patient" tabIndex={-1}>
        <div>
          <p className="choice-title">{fullName(patient)}</p>
          <p className="muted small">
            Born {formatDate(patient.dateOfBirth)}
            {patient.email ? ` · ${patient.email}` : ''}
            {patient.phone ? ` · ${patient.phone}` : ''}
          </p>
        </div>
        <button type="button" className="button button-secondary button-small" onClick={onChange}>
          Change patient
        </button>
      </div>
      {consent ? (
        <div ref={consentRef} tabIndex={-1} className="flash-slot">
          <Notice tone="success">Consent to share referral information recorded {formatDateTime(consent.grantedAt)}.</Notice>
        </div>
      ) : (
        <div className="panel panel-warning" role="alert">
          <p className="panel-title">No consent to share referral information</p>
          <p>A referral cannot be sent until the patient has agreed that it is shared with the practitioner you refer them to.</p>
          <label className="checkbox">
            <input
              type="checkbox"
              name="consent"
              checked={confirmed}
              onChange={(e) => setConfirmed(e.target.checked)}
              aria-invalid={consentError ? true : undefined}
              aria-describedby={consentError ? consentErrorId : undefined}
            />
            <span>The patient has given me this consent.</span>
          </label>
          {consentError && (
            <p className="field-error" id={consentErrorId}>
              {consentError}
            </p>
          )}
          <button type="button" className="button button-secondary" disabled={!confirmed || busy} onClick={() => void record()}>
            {busy ? 'Recording…' : 'Record consent'}
          </button>
          {failure !== null && <p className="field-error">{errorMessage(failure)}</p>}
        </div>
      )}
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}
