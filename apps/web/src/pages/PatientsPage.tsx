import { type FormEvent, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import type { ConsentScope, Patient, PreferredContact } from '../api/types';
import { Field } from '../components/Field';
import { ErrorPanel, Loading, Notice } from '../components/Feedback';
import { formatDate, formatDateTime } from '../lib/format';
import { useAsync, useTitle } from '../lib/hooks';
import { consentExplanation, consentLabel, contactLabel } from '../lib/labels';
import { useReferenceData } from '../lib/session-hooks';

export const PATIENTS_PATH = '/patients';

/** Your clinic's patients: find one, correct their details, and record or withdraw their consents. */
export function PatientsPage() {
  useTitle('Patients');
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const [openId, setOpenId] = useState<string | null>(null);
  const patients = useAsync(
    async () => (await call(api.GET('/api/v1/patients', { params: { query: { q: search || undefined, limit: 50 } } }))).items,
    [search],
  );
  const replace = (updated: Patient) => patients.setData((patients.data ?? []).map((p) => (p.id === updated.id ? updated : p)));

  return (
    <>
      <h1 tabIndex={-1}>Patients</h1>
      <form
        className="search-row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(query.trim());
        }}
      >
        <Field label="Find a patient" hint="First or last name">
          {(props) => (
            <input {...props} type="search" className="input" value={query} onChange={(e) => setQuery(e.target.value)} />
          )}
        </Field>
        <button type="submit" className="button button-primary">
          Search
        </button>
      </form>
      {patients.error !== undefined ? (
        <ErrorPanel error={patients.error} title="Could not load patients" onRetry={() => void patients.reload()} />
      ) : !patients.data ? (
        <Loading lines={4} />
      ) : patients.data.length === 0 ? (
        <p>{search ? `No patient matches “${search}”.` : 'No patients yet. Add one when you start a new referral.'}</p>
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

const FIELDS = ['firstName', 'lastName', 'dateOfBirth', 'email', 'phone'] as const;
type FieldName = (typeof FIELDS)[number];
const FIELD_LABELS: Record<FieldName, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  dateOfBirth: 'Date of birth',
  email: 'Email',
  phone: 'Phone',
};

function PatientForm({ patient, onSaved }: { patient: Patient; onSaved: (p: Patient) => void }) {
  const reference = useReferenceData();
  const [values, setValues] = useState<Record<FieldName, string>>({
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
  const fieldError = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const updated = await call(
        api.PATCH('/api/v1/patients/{id}', {
          params: { path: { id: patient.id } },
          body: {
            firstName: values.firstName.trim(),
            lastName: values.lastName.trim(),
            dateOfBirth: values.dateOfBirth,
            email: values.email.trim() || null,
            phone: values.phone.trim() || null,
            preferredContact: contact,
          },
        }),
      );
      onSaved(updated);
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="stack"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label={`Details of ${patient.firstName} ${patient.lastName}`}
    >
      <div className="grid-2">
        {FIELDS.map((field) => (
          <Field
            key={field}
            label={FIELD_LABELS[field]}
            error={fieldError(field)}
            required={field !== 'email' && field !== 'phone'}
          >
            {(props) => (
              <input
                {...props}
                className="input"
                type={field === 'dateOfBirth' ? 'date' : field === 'email' ? 'email' : field === 'phone' ? 'tel' : 'text'}
                value={values[field]}
                onChange={(e) => setValues({ ...values, [field]: e.target.value })}
              />
            )}
          </Field>
        ))}
        <Field label="Preferred contact" error={fieldError('preferredContact')}>
          {(props) => (
            <select {...props} className="input" value={contact} onChange={(e) => setContact(e.target.value as PreferredContact)}>
              {reference.preferredContacts.map((c) => (
                <option key={c} value={c}>
                  {contactLabel(c)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {error !== null && <Notice tone="error">{errorMessage(error)}</Notice>}
      {saved && (
        <Notice tone="success">
          Details of {patient.firstName} {patient.lastName} saved.
        </Notice>
      )}
      <div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save details'}
        </button>
      </div>
    </form>
  );
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
                {active ? `given ${formatDateTime(active.grantedAt)}` : 'not given'}
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
