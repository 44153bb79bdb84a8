import { type FormEvent, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { errorMessage } from '../api/problem';
import type { ConsentScope, Patient, PreferredContact } from '../api/types';
import { TextField } from '../components/Field';
import { ErrorPanel, Loading, Notice } from '../components/Feedback';
import { detailsBody, NewPatientForm, type PatientDetails, PatientFields } from '../components/PatientForms';
import { firstInvalid, useFocusAfterRender } from '../lib/focus';
import { formatDate, formatDateTime } from '../lib/format';
import { useAsync, useTitle } from '../lib/hooks';
import { consentExplanation, consentLabel, contactLabel } from '../lib/labels';
import { setQuery, useLocation } from '../lib/router';
import { useReferenceData } from '../lib/session-hooks';

export const PATIENTS_PATH = '/patients';
/** The Patients page with its add form open: where the first-run checklist's "Add a patient" leads. */
export const ADD_PATIENT_PATH = `${PATIENTS_PATH}?add=1`;

/** Your clinic's patients: find or add one, correct their details, and record or withdraw their consents. */
export function PatientsPage() {
  useTitle('Patients');
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [openId, setOpenId] = useState<string | null>(null);
  const { query } = useLocation();
  const [adding, setAdding] = useState(() => query.get('add') === '1');
  const [added, setAdded] = useState<string | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const addedRef = useRef<HTMLDivElement>(null);
  const newPatientForm = useRef<HTMLElement>(null);
  const focusAfter = useFocusAfterRender();
  const patients = useAsync(
    // In the body: a patient's name never goes into an address (see POST /patients/search).
    async () => (await call(api.POST('/api/v1/patients/search', { body: { q: search || undefined, limit: 50 } }))).items,
    [search],
  );
  /** The form goes, and with it `?add=1`: a reload shows the list. */
  const close = () => {
    setAdding(false);
    setQuery({ add: undefined });
  };
  const replace = (updated: Patient) => patients.setData((patients.data ?? []).map((p) => (p.id === updated.id ? updated : p)));

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Patients</h1>
        {!adding && (
          <button
            ref={addButton}
            type="button"
            className="button button-primary"
            onClick={() => {
              setAdding(true);
              setAdded(null);
              // The button gives way to the form: start on its first field.
              focusAfter(() => newPatientForm.current?.querySelector('input, select, textarea'));
            }}
          >
            Add patient
          </button>
        )}
      </div>
      {adding && (
        <section ref={newPatientForm} className="card" aria-labelledby="new-patient-heading">
          <h2 id="new-patient-heading">Add patient</h2>
          <NewPatientForm
            label="Add patient"
            onCancel={() => {
              close();
              focusAfter(() => addButton.current);
            }}
            onAdded={(patient) => {
              close();
              setAdded(`${patient.firstName} ${patient.lastName} added.`);
              patients.setData([patient, ...(patients.data ?? []).filter((p) => p.id !== patient.id)]);
              setOpenId(patient.id);
              // The form is gone: say what happened, from where the patient's details open below.
              focusAfter(() => addedRef.current);
            }}
          />
        </section>
      )}
      <div ref={addedRef} tabIndex={-1} className="flash-slot">
        {added && <Notice tone="success">{added}</Notice>}
      </div>
      <form
        className="search-row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(searchText.trim());
        }}
      >
        <TextField label="Find a patient" hint="First or last name" type="search" value={searchText} onChange={setSearchText} />
        <button type="submit" className="button button-primary">
          Search
        </button>
      </form>
      {patients.error !== undefined ? (
        <ErrorPanel error={patients.error} title="Could not load patients" onRetry={() => void patients.reload()} />
      ) : !patients.data ? (
        <Loading lines={4} />
      ) : patients.data.length === 0 ? (
        <p>{search ? `No patient matches “${search}”.` : 'No patients yet. Add one here or when you start a new referral.'}</p>
      ) : (
        <ul className="plain-list card-list" aria-label="Patients">
          {patients.data.map((p) => (
            <li key={p.id} className="card">
              <div className="card-head">
                <h2 className="card-title">
                  {p.firstName} {p.lastName}
                </h2>
                <button
                  type="button"
                  className="button button-secondary button-small"
                  aria-expanded={openId === p.id}
                  onClick={() => setOpenId(openId === p.id ? null : p.id)}
                >
                  {openId === p.id ? 'Close' : `Open ${p.firstName} ${p.lastName}`}
                </button>
              </div>
              <p className="muted small">
                Born {formatDate(p.dateOfBirth)} · prefers {contactLabel(p.preferredContact).toLowerCase()}
              </p>
              {openId === p.id && (
                <>
                  <PatientForm patient={p} onSaved={replace} />
                  <Consents patient={p} onChanged={replace} />
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function PatientForm({ patient, onSaved }: { patient: Patient; onSaved: (p: Patient) => void }) {
  const [values, setValues] = useState<PatientDetails>({
    firstName: patient.firstName,
    lastName: patient.lastName,
    dateOfBirth: patient.dateOfBirth,
    email: patient.email ?? '',
    phone: patient.phone ?? '',
  });
  const [contact, setContact] = useState<PreferredContact>(patient.preferredContact);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const savedRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const updated = await call(
        api.PATCH('/api/v1/patients/{id}', { params: { path: { id: patient.id } }, body: detailsBody(values, contact) }),
      );
      onSaved(updated);
      setSaved(true);
      // Say what happened, so focus does not fall to <body> while the button is disabled.
      focusAfter(() => savedRef.current);
    } catch (e) {
      setError(e);
      // Start on the first answer to fix, or on the summary when no field is marked.
      focusAfter(() => firstInvalid(formRef.current) ?? errorRef.current);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      ref={formRef}
      className="stack"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label={`Details of ${patient.firstName} ${patient.lastName}`}
    >
      <PatientFields values={values} onChange={setValues} contact={contact} onContact={setContact} error={error} />
      {error !== null && (
        <div ref={errorRef} tabIndex={-1}>
          <Notice tone="error">{errorMessage(error)}</Notice>
        </div>
      )}
      {saved && (
        <div ref={savedRef} tabIndex={-1}>
          <Notice tone="success">
            Details of {patient.firstName} {patient.lastName} saved.
          </Notice>
        </div>
      )}
      <div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save details'}
        </button>
      </div>
    </form>
  );
}

/**
 * A scope with no consent in effect: never given, or withdrawn (the latest withdrawal), saying when
 * the patient took it back themselves, so staff who record it again know.
 */
function notInEffect(consents: Patient['consents'], scope: string): string {
  const withdrawn = consents
    .filter((c) => c.scope === scope && c.revokedAt !== null)
    .sort((a, b) => b.revokedAt!.localeCompare(a.revokedAt!))[0];
  if (!withdrawn) return 'not given';
  return withdrawn.revokedBy === null
    ? `withdrawn by the patient ${formatDateTime(withdrawn.revokedAt)} (they unsubscribed from a message)`
    : `withdrawn ${formatDateTime(withdrawn.revokedAt)}`;
}

function Consents({ patient, onChanged }: { patient: Patient; onChanged: (p: Patient) => void }) {
  const reference = useReferenceData();
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const reload = async () => onChanged(await call(api.GET('/api/v1/patients/{id}', { params: { path: { id: patient.id } } })));

  const grant = async (scope: ConsentScope) => {
    setMessage(null);
    try {
      await call(api.POST('/api/v1/patients/{id}/consents', { params: { path: { id: patient.id } }, body: { scope } }));
      await reload();
      setMessage({ tone: 'success', text: `Consent recorded: ${consentLabel(scope)}.` });
    } catch (e) {
      setMessage({ tone: 'error', text: `Could not record the consent: ${errorMessage(e)}` });
    }
  };
  const revoke = async (consentId: string, scope: string) => {
    setMessage(null);
    try {
      await call(
        api.POST('/api/v1/patients/{id}/consents/{consentId}/revoke', { params: { path: { id: patient.id, consentId } } }),
      );
      await reload();
      setMessage({ tone: 'success', text: `Consent withdrawn: ${consentLabel(scope)}.` });
    } catch (e) {
      setMessage({ tone: 'error', text: `Could not withdraw the consent: ${errorMessage(e)}` });
    }
  };

  return (
    <section aria-label={`Consents of ${patient.firstName} ${patient.lastName}`}>
      <h3>Consents</h3>
      <ul className="plain-list">
        {reference.consentScopes.map((scope) => {
          const active = patient.consents.find((c) => c.scope === scope && c.active);
          return (
            <li key={scope} className="consent">
              <p className="consent-title">
                <strong>{consentLabel(scope)}</strong>
                {' · '}
                {active ? `given ${formatDateTime(active.grantedAt)}` : notInEffect(patient.consents, scope)}
              </p>
              <p className="muted small">{consentExplanation(scope)}</p>
              {active ? (
                <button
                  type="button"
                  className="button button-secondary button-small"
                  onClick={() => void revoke(active.id, scope)}
                >
                  Withdraw consent: {consentLabel(scope).toLowerCase()}
                </button>
              ) : (
                <button type="button" className="button button-secondary button-small" onClick={() => void grant(scope)}>
                  Record consent: {consentLabel(scope).toLowerCase()}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
    </section>
  );
}
