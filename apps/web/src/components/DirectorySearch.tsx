import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, call } from '../api/client';
import type { Practitioner, PractitionerRole, Specialty } from '../api/types';
import { humanize, roleLabel } from '../lib/labels';
import { useReferenceData } from '../lib/session-hooks';
import { ErrorPanel } from './Feedback';

interface Props {
  type: PractitionerRole;
  selected: Practitioner | null;
  onSelect: (practitioner: Practitioner | null) => void;
  error?: string;
}

interface Filters {
  q: string;
  specialty: Specialty | '';
  city: string;
  postalCode: string;
  accepting: boolean;
}

/** The directory across clinics, filtered to the practitioner type this referral goes to. */
export function DirectorySearch({ type, selected, onSelect, error }: Props) {
  const reference = useReferenceData();
  const [filters, setFilters] = useState<Filters>({ q: '', specialty: '', city: '', postalCode: '', accepting: true });
  const [results, setResults] = useState<Practitioner[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const search = useCallback(
    async (f: Filters, cursor?: string) => {
      setBusy(true);
      try {
        const page = await call(
          api.GET('/api/v1/practitioners', {
            params: {
              query: {
                type,
                q: f.q.trim() || undefined,
                specialty: f.specialty || undefined,
                city: f.city.trim() || undefined,
                postalCode: f.postalCode.trim() || undefined,
                acceptingReferrals: f.accepting ? true : undefined,
                limit: 10,
                cursor,
              },
            },
          }),
        );
        setResults((current) => (cursor && current ? [...current, ...page.items] : page.items));
        setNextCursor(page.nextCursor);
        setFailure(null);
      } catch (e) {
        setFailure(e);
      } finally {
        setBusy(false);
      }
    },
    [type],
  );

  useEffect(() => {
    void search({ q: '', specialty: '', city: '', postalCode: '', accepting: true });
  }, [search]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void search(filters);
  };

  if (selected) {
    return (
      <div className="selected" data-testid="selected-recipient">
        <PractitionerCard practitioner={selected} />
        <button type="button" className="button button-secondary button-small" onClick={() => onSelect(null)}>
          Change recipient
        </button>
      </div>
    );
  }

  return (
    <div className="stack">
      <form className="filters" onSubmit={submit} role="search" aria-label={`Find a ${roleLabel(type).toLowerCase()}`}>
        <div className="field field-grow">
          <label htmlFor="dir-q">Name or clinic</label>
          <input id="dir-q" type="search" value={filters.q} onChange={(e) => setFilters({ ...filters, q: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="dir-specialty">Specialty</label>
          <select
            id="dir-specialty"
            value={filters.specialty}
            onChange={(e) => setFilters({ ...filters, specialty: e.target.value as Specialty | '' })}
          >
            <option value="">Any specialty</option>
            {reference.specialties.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="dir-city">City</label>
          <input id="dir-city" value={filters.city} onChange={(e) => setFilters({ ...filters, city: e.target.value })} />
        </div>
        <div className="field field-narrow">
          <label htmlFor="dir-postal">Postal code</label>
          <input
            id="dir-postal"
            value={filters.postalCode}
            onChange={(e) => setFilters({ ...filters, postalCode: e.target.value })}
          />
        </div>
        <label className="checkbox checkbox-inline">
          <input
            type="checkbox"
            checked={filters.accepting}
            onChange={(e) => setFilters({ ...filters, accepting: e.target.checked })}
          />
          <span>Accepting referrals only</span>
        </label>
        <button type="submit" className="button button-secondary" disabled={busy}>
          Search
        </button>
      </form>
      {error && <p className="field-error">{error}</p>}
      {failure !== null && <ErrorPanel error={failure} title="Could not search the directory" />}
      <div className="result-list" aria-live="polite" aria-busy={busy}>
        {results === null ? (
          <p className="muted">Searching…</p>
        ) : results.length === 0 ? (
          <p className="muted">Nobody matches. Try fewer filters.</p>
        ) : (
          <ul className="choices" aria-label="Directory results">
            {results.map((p) => (
              <li key={p.id}>
                {/* Named by what it shows (WCAG 2.5.3, label in name), with the verb for screen readers. */}
                <button type="button" className="choice" onClick={() => onSelect(p)}>
                  <span className="visually-hidden">Choose </span>
                  <PractitionerCard practitioner={p} />
                </button>
              </li>
            ))}
          </ul>
        )}
        {nextCursor && (
          <button
            type="button"
            className="button button-secondary"
            disabled={busy}
            onClick={() => void search(filters, nextCursor)}
          >
            More results
          </button>
        )}
      </div>
    </div>
  );
}

export function PractitionerCard({ practitioner: p }: { practitioner: Practitioner }) {
  return (
    <span className="practitioner">
      <span className="choice-title">{p.fullName}</span>
      <span className="muted small">
        {roleLabel(p.role)}
        {p.clinic ? ` · ${p.clinic.name}, ${p.clinic.city} ${p.clinic.postalCode}` : ''}
      </span>
      <span className="tags">
        {p.acceptingReferrals ? (
          <span className="chip chip-success">Accepting referrals</span>
        ) : (
          <span className="chip chip-neutral">Not accepting</span>
        )}
        {p.specialties.map((s) => (
          <span key={s} className="tag">
            {humanize(s)}
          </span>
        ))}
        {p.languages.length > 0 && <span className="tag">Speaks {p.languages.join(', ')}</span>}
      </span>
    </span>
  );
}
