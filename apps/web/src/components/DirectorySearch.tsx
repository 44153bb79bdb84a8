import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError } from '../api/problem';
import type { DirectoryEntry, Practitioner, PractitionerRole, Specialty } from '../api/types';
import { useFocusAfterRender } from '../lib/focus';
import { useAsync } from '../lib/hooks';
import { languageLabel, roleLabel, specialtyLabel } from '../lib/labels';
import { isAdmin, isPractitioner, useReferenceData, useUser } from '../lib/session-hooks';
import { ErrorPanel } from './Feedback';

interface Props {
  /** Practitioners of this type only; any type without it. */
  type?: PractitionerRole;
  selected?: Practitioner | null;
  /** Without it, the directory is only browsed (and partners saved): no one is chosen. */
  onSelect?: (practitioner: Practitioner | null) => void;
  error?: string;
}

/** The two partner lists: the user's own, and (admins) their clinic's preferred partners. */
type PartnerList = 'mine' | 'clinic';

interface Filters {
  q: string;
  specialty: Specialty | '';
  city: string;
  postalCode: string;
  accepting: boolean;
}

const NO_FILTERS: Filters = { q: '', specialty: '', city: '', postalCode: '', accepting: true };

/** Where "nearby" is measured from: the user's clinic's postal code (undefined while loading, null when unknown). */
function useClinicPostalCode(): string | null | undefined {
  const [postalCode, setPostalCode] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    call(api.GET('/api/v1/clinics/me')).then(
      (clinic) => live && setPostalCode(clinic.address.postalCode),
      () => live && setPostalCode(null),
    );
    return () => {
      live = false;
    };
  }, []);
  return postalCode;
}

const isNearError = (e: unknown) => e instanceof ApiError && e.fieldErrors.some((f) => f.field === 'near');

/** The ids of the clinic's preferred partners (admins only). */
async function clinicPartnerIds(): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const result = await call(api.GET('/api/v1/clinics/me/partners', { params: { query: { limit: 100, cursor } } }));
    for (const partner of result.items) ids.add(partner.practitionerId);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return ids;
}

/**
 * The directory across clinics, filtered to the practitioner type this referral goes to: the user's
 * partners first (their own, then their clinic's), then the nearest to their clinic, narrowed by search.
 * A practitioner saves their own partners here; an admin marks the clinic's preferred partners.
 */
export function DirectorySearch({ type, selected, onSelect, error }: Props) {
  const reference = useReferenceData();
  const user = useUser();
  const admin = user !== null && isAdmin(user);
  const lists: PartnerList[] = [
    ...(user !== null && isPractitioner(user) ? (['mine'] as const) : []),
    ...(admin ? (['clinic'] as const) : []),
  ];
  // A directory item names one kind of partner, the user's own first: an admin's own partner may be the clinic's too.
  const clinicPartners = useAsync(async () => (admin ? clinicPartnerIds() : null), [admin]);
  const isClinicPartner = (p: DirectoryEntry) => clinicPartners.data?.has(p.id) ?? p.partner === 'clinic';
  const clinicPostalCode = useClinicPostalCode();
  const [near, setNear] = useState<string | null>(null);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [results, setResults] = useState<DirectoryEntry[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  // The results give way to the chosen practitioner (and back): focus follows, not to <body>.
  const choose =
    onSelect &&
    ((practitioner: Practitioner) => {
      onSelect(practitioner);
      focusAfter(() => box.current?.querySelector('[data-testid="selected-recipient"]'));
    });
  const change = () => {
    onSelect?.(null);
    focusAfter(() => box.current?.querySelector('input'));
  };

  const search = useCallback(
    async (f: Filters, nearCode: string | null, cursor?: string) => {
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
                near: nearCode ?? undefined,
                limit: 10,
                cursor,
              },
            },
          }),
        );
        setResults((current) => (cursor && current ? [...current, ...page.items] : page.items));
        setNextCursor(page.nextCursor);
        setApplied(f);
        setFailure(null);
      } catch (e) {
        // A clinic outside the US and Canada has no known location: list without distances.
        if (nearCode && isNearError(e)) {
          setNear(null);
          return search(f, null, cursor);
        }
        setFailure(e);
      } finally {
        setBusy(false);
      }
    },
    [type],
  );

  useEffect(() => {
    if (clinicPostalCode === undefined) return;
    setNear(clinicPostalCode);
    void search(NO_FILTERS, clinicPostalCode);
  }, [search, clinicPostalCode]);

  /** Saves or removes a partner, then lists again so the order says who comes first. */
  const togglePartner = async (p: DirectoryEntry, list: PartnerList) => {
    setBusy(true);
    const saved = list === 'mine' ? p.partner === 'mine' : isClinicPartner(p);
    try {
      if (list === 'mine') {
        if (saved) {
          await call(api.DELETE('/api/v1/me/partners/{practitionerId}', { params: { path: { practitionerId: p.id } } }));
        } else {
          await call(api.POST('/api/v1/me/partners', { body: { practitionerId: p.id } }));
        }
      } else if (saved) {
        await call(api.DELETE('/api/v1/clinics/me/partners/{practitionerId}', { params: { path: { practitionerId: p.id } } }));
      } else {
        await call(api.POST('/api/v1/clinics/me/partners', { body: { practitionerId: p.id } }));
      }
    } catch (e) {
      setFailure(e);
      setBusy(false);
      return;
    }
    if (list === 'clinic' && clinicPartners.data) {
      const ids = new Set(clinicPartners.data);
      if (saved) ids.delete(p.id);
      else ids.add(p.id);
      clinicPartners.setData(ids);
    }
    await search(applied, near);
    // The item may have moved to another group (partners come first): focus follows its button.
    focusAfter(() => box.current?.querySelector(`[data-partner-toggle="${list}-${p.id}"]`));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void search(filters, near);
  };

  if (selected) {
    return (
      <div ref={box}>
        <div className="selected" data-testid="selected-recipient" tabIndex={-1}>
          <PractitionerCard practitioner={selected} />
          <button type="button" className="button button-secondary button-small" onClick={change}>
            Change recipient
          </button>
        </div>
      </div>
    );
  }

  return (
    <div ref={box} className="stack">
      <form
        className="filters"
        onSubmit={submit}
        role="search"
        aria-label={`Find a ${type ? roleLabel(type).toLowerCase() : 'practitioner'}`}
      >
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
                {specialtyLabel(s)}
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
          <>
            <ResultGroup
              title={lists.includes('mine') ? 'Your partners' : 'Your clinic’s partners'}
              items={results.filter((p) => p.partner)}
              onSelect={choose}
              lists={lists}
              isClinicPartner={isClinicPartner}
              onTogglePartner={(p, list) => void togglePartner(p, list)}
              busy={busy}
            />
            <ResultGroup
              title={near ? `Nearest to ${near}` : 'Directory'}
              items={results.filter((p) => !p.partner)}
              onSelect={choose}
              lists={lists}
              isClinicPartner={isClinicPartner}
              onTogglePartner={(p, list) => void togglePartner(p, list)}
              busy={busy}
            />
          </>
        )}
        {nextCursor && (
          <button
            type="button"
            className="button button-secondary"
            disabled={busy}
            onClick={() => void search(applied, near, nextCursor)}
          >
            More results
          </button>
        )}
      </div>
    </div>
  );
}

const PARTNER_BUTTON: Record<PartnerList, { save: string; remove: string }> = {
  mine: { save: 'Save partner', remove: 'Remove partner' },
  clinic: { save: 'Make clinic partner', remove: 'Remove clinic partner' },
};

function ResultGroup(props: {
  title: string;
  items: DirectoryEntry[];
  onSelect?: (p: Practitioner) => void;
  /** The partner lists the user manages, one button each. */
  lists: PartnerList[];
  isClinicPartner: (p: DirectoryEntry) => boolean;
  onTogglePartner: (p: DirectoryEntry, list: PartnerList) => void;
  busy: boolean;
}) {
  const { title, items, onSelect, lists, isClinicPartner, onTogglePartner, busy } = props;
  if (items.length === 0) return null;
  return (
    <>
      <h3 className="result-group-title">{title}</h3>
      <ul className="choices" aria-label={title}>
        {items.map((p) => (
          <li key={p.id} className="choice-row">
            <PractitionerCard practitioner={p} clinicPartner={isClinicPartner(p)} />
            <span className="choice-actions">
              {onSelect && (
                <button
                  type="button"
                  className="button button-primary button-small"
                  onClick={() => onSelect(p)}
                  aria-label={`Choose ${p.fullName}, ${p.clinic?.name ?? ''}`}
                >
                  Choose
                </button>
              )}
              {lists.map((list) => {
                const saved = list === 'mine' ? p.partner === 'mine' : isClinicPartner(p);
                const text = saved ? PARTNER_BUTTON[list].remove : PARTNER_BUTTON[list].save;
                return (
                  <button
                    key={list}
                    type="button"
                    className="button button-secondary button-small"
                    disabled={busy}
                    data-partner-toggle={`${list}-${p.id}`}
                    onClick={() => onTogglePartner(p, list)}
                    aria-label={`${text}: ${p.fullName}`}
                  >
                    {text}
                  </button>
                );
              })}
            </span>
          </li>
        ))}
      </ul>
    </>
  );
}

/** "12 km away"; under 10 km with one decimal, as the API rounds it. */
const distanceText = (km: number) => `${km.toLocaleString('en-US')} km away`;

export function PractitionerCard({
  practitioner: p,
  clinicPartner,
}: {
  practitioner: Practitioner | DirectoryEntry;
  /** Whether the clinic prefers them, when known besides `partner` (which names the user's own first). */
  clinicPartner?: boolean;
}) {
  const partner = 'partner' in p ? p.partner : null;
  const distanceKm = 'distanceKm' in p ? p.distanceKm : null;
  return (
    <span className="practitioner">
      <span className="choice-title">{p.fullName}</span>
      <span className="muted small">
        {roleLabel(p.role)}
        {p.clinic ? ` · ${p.clinic.name}, ${p.clinic.city} ${p.clinic.postalCode}` : ''}
        {typeof distanceKm === 'number' ? ` · ${distanceText(distanceKm)}` : ''}
      </span>
      <span className="tags">
        {partner === 'mine' && <span className="chip chip-info">Your partner</span>}
        {(clinicPartner ?? partner === 'clinic') && <span className="chip chip-progress">Clinic partner</span>}
        {p.acceptingReferrals ? (
          <span className="chip chip-success">Accepting referrals</span>
        ) : (
          <span className="chip chip-neutral">Not accepting</span>
        )}
        {p.specialties.map((s) => (
          <span key={s} className="tag">
            {specialtyLabel(s)}
          </span>
        ))}
        {p.languages.length > 0 && <span className="tag">Speaks {p.languages.map(languageLabel).join(', ')}</span>}
      </span>
    </span>
  );
}
