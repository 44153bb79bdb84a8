import { type FormEvent, useCallback, useState } from 'react';
import { api, call } from '../../api/client';
import type { User } from '../../api/types';
import { ErrorPanel, Loading } from '../../components/Feedback';
import { formatDateTime } from '../../lib/format';
import { useAsync, usePagedList, useTitle } from '../../lib/hooks';
import { Link } from '../../lib/router';
import { clinicMembers, endOfDay, startOfDay } from './admin-data';

/** What an audit event is about, as the API filters it ('' for any). */
type ResourceFilter = '' | 'patient' | 'referral' | 'attachment' | 'consent' | 'user';

interface Filters {
  action: string;
  resourceType: ResourceFilter;
  actorId: string;
  from: string;
  to: string;
}
const NO_FILTERS: Filters = { action: '', resourceType: '', actorId: '', from: '', to: '' };

export function AuditLogPage({ user }: { user: User }) {
  useTitle('Audit log');
  // Every member, deactivated ones included: what someone did stays theirs after they left.
  const people = useAsync(() => clinicMembers(), [user.id]);
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const fetchPage = useCallback(
    (cursor?: string) =>
      call(
        api.GET('/api/v1/admin/audit-events', {
          params: {
            query: {
              action: filters.action.trim() || undefined,
              resourceType: filters.resourceType || undefined,
              actorId: filters.actorId || undefined,
              from: filters.from ? startOfDay(filters.from) : undefined,
              to: filters.to ? endOfDay(filters.to) : undefined,
              cursor,
              limit: 50,
            },
          },
        }),
      ),
    [filters],
  );
  const { items, nextCursor, loading: busy, error, reload, loadMore } = usePagedList(fetchPage);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  const name = (id: string | null) =>
    id === null ? 'System' : (people.data?.find((p) => p.id === id)?.fullName ?? `${id.slice(0, 8)}…`);

  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <p className="muted">Who read or changed which patient or referral, when and from where. Ids only, no patient data.</p>
      <form className="filters" onSubmit={submit} aria-label="Filter the audit log">
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input
            id="audit-action"
            placeholder="e.g. referral.read"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="audit-type">Resource</label>
          <select
            id="audit-type"
            value={draft.resourceType}
            onChange={(e) => setDraft({ ...draft, resourceType: e.target.value as ResourceFilter })}
          >
            <option value="">Any</option>
            <option value="patient">Patient</option>
            <option value="referral">Referral</option>
            <option value="attachment">Attachment</option>
            <option value="consent">Consent</option>
            <option value="user">Account</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Who</label>
          <select id="audit-actor" value={draft.actorId} onChange={(e) => setDraft({ ...draft, actorId: e.target.value })}>
            <option value="">Anyone</option>
            {(people.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.fullName}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-from">From</label>
          <input id="audit-from" type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To</label>
          <input id="audit-to" type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </div>
        <button type="submit" className="button button-secondary">
          Filter
        </button>
      </form>
      {error !== null && <ErrorPanel error={error} title="Could not load the audit log" onRetry={() => void reload()} />}
      {items === null ? (
        error === null && <Loading lines={6} />
      ) : items.length === 0 ? (
        <p className="empty">No audit events match.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Outcome</th>
                <th scope="col">IP</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td data-label="When" className="nowrap">
                    {formatDateTime(e.occurredAt)}
                  </td>
                  <td data-label="Who">{name(e.actorId)}</td>
                  <td data-label="Action">
                    <code>{e.action}</code>
                  </td>
                  <td data-label="Resource">
                    {e.resourceType}
                    {e.resourceId &&
                      (e.resourceType === 'referral' ? (
                        <Link to={`/referrals/${e.resourceId}`} className="row-sub small">
                          {e.resourceId.slice(0, 8)}…
                        </Link>
                      ) : (
                        <span className="row-sub small muted">{e.resourceId.slice(0, 8)}…</span>
                      ))}
                  </td>
                  <td data-label="Outcome">
                    <span className={`chip chip-${e.outcome === 'success' ? 'success' : 'danger'}`}>
                      {e.outcome.replace('_', ' ')}
                    </span>
                  </td>
                  <td data-label="IP" className="small">
                    {e.ip ?? '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        {nextCursor && (
          <button type="button" className="button button-secondary" onClick={() => void loadMore()} disabled={busy}>
            Load more
          </button>
        )}
      </div>
    </>
  );
}
