import { useCallback, useMemo, useState } from 'react';
import { api, call } from '../api/client';
import type { Referral } from '../api/types';
import { ErrorPanel, Loading, LoadMore, Notice } from '../components/Feedback';
import { FirstRunChecklist } from '../components/FirstRunChecklist';
import { ReferralChips } from '../components/StatusChip';
import { Tabs } from '../components/Tabs';
import { UnreadBadge } from '../components/UnreadBadge';
import { type Flash, takeFlash } from '../lib/flash';
import { formatDateTime, fullName, searchText } from '../lib/format';
import { usePagedList, useTitle } from '../lib/hooks';
import { kindLabel, recipientParty, statusLabel } from '../lib/labels';
import { Link, navigate, setQuery, useLocation } from '../lib/router';
import { isAdmin, isPractitioner, useReferenceData, useUser } from '../lib/session-hooks';
import { useLiveRefresh } from '../lib/live';

type Box = 'received' | 'sent' | 'clinic';
type Sort = 'updated' | 'priority';
const PAGE_SIZE = 25;

/** `needle` as {@link searchText} gives it: "jose" finds José, as the patient and directory searches do. */
const matches = (referral: Referral, needle: string) =>
  searchText(
    [
      fullName(referral.patient),
      referral.reason,
      referral.sender.fullName,
      recipientParty(referral).fullName,
      referral.sender.clinicName,
      recipientParty(referral).clinicName,
    ].join(' '),
  ).includes(needle);

export function InboxPage() {
  useTitle('Referrals');
  const user = useUser()!;
  const reference = useReferenceData();
  const { query } = useLocation();
  // A practitioner who also runs the clinic gets both: their boxes and the clinic's.
  const boxes: { id: Box; label: string }[] = [
    ...(isPractitioner(user)
      ? [
          { id: 'received' as const, label: 'Received' },
          { id: 'sent' as const, label: 'Sent' },
        ]
      : []),
    ...(isAdmin(user) ? [{ id: 'clinic' as const, label: 'Clinic' }] : []),
  ];
  const requested = query.get('box') as Box | null;
  const box = boxes.some((b) => b.id === requested) ? requested! : boxes[0].id;
  const status = reference.referralStatuses.find((s) => s === query.get('status')) ?? '';
  // Kept in the page, not the address: what one searches for is usually a patient's name, and an
  // address ends up in history, bookmarks and proxy logs.
  const [search, setSearch] = useState('');
  const sort: Sort = query.get('sort') === 'priority' ? 'priority' : 'updated';
  // Why the person was brought here (their admin rights were removed under an admin screen).
  const [flash] = useState<Flash | null>(() => takeFlash());

  const fetchPage = useCallback(
    (cursor?: string) =>
      call(
        api.GET('/api/v1/referrals', {
          params: { query: { box, status: status ? [status] : undefined, sort, limit: PAGE_SIZE, cursor } },
        }),
      ),
    [box, status, sort],
  );
  const list = usePagedList(fetchPage);
  const { loading, error, nextCursor, reload } = list;
  const items = useMemo(() => list.items ?? [], [list.items]);
  // Live: a referral created, sent to me or changed by the other side shows without a reload.
  useLiveRefresh(
    (e) => e.event === 'referral.updated' || e.event === 'message.created',
    () => void reload(),
  );

  const needle = searchText(search.trim());
  const shown = useMemo(() => (needle ? items.filter((r) => matches(r, needle)) : items), [items, needle]);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Referrals</h1>
        {isPractitioner(user) && (
          <Link to="/referrals/new" className="button button-primary">
            New referral
          </Link>
        )}
      </div>
      {flash && (
        // Focused when the screen opens (focusScreenHeading): the first thing read is why they are here.
        <div tabIndex={-1} className="flash-slot" data-screen-focus>
          <Notice tone={flash.tone}>{flash.text}</Notice>
        </div>
      )}
      <FirstRunChecklist user={user} />
      <Tabs label="Referral boxes" tabs={boxes} selected={box} onSelect={(id) => setQuery({ box: id })} panelId="inbox-panel" />
      <div id="inbox-panel" role="tabpanel" aria-labelledby={`tab-${box}`} className="tab-panel">
        <div className="filters">
          <div className="field">
            <label htmlFor="status-filter">Status</label>
            <select id="status-filter" value={status} onChange={(e) => setQuery({ status: e.target.value })}>
              <option value="">All statuses</option>
              {reference.referralStatuses.map((s) => (
                <option key={s} value={s}>
                  {statusLabel(s)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="sort-order">Sort</label>
            <select
              id="sort-order"
              value={sort}
              onChange={(e) => setQuery({ sort: e.target.value === 'priority' ? 'priority' : '' })}
            >
              <option value="updated">Latest change first</option>
              <option value="priority">Urgent first</option>
            </select>
          </div>
          <div className="field field-grow">
            <label htmlFor="inbox-search">Search</label>
            <input
              id="inbox-search"
              type="search"
              placeholder="Patient, reason or practitioner"
              value={search}
              aria-describedby="inbox-search-hint"
              onChange={(e) => setSearch(e.target.value)}
            />
          </div>
        </div>
        <p className="hint filters-hint" id="inbox-search-hint">
          Search looks through the referrals loaded below{nextCursor ? '; load more to search further' : ''}.
        </p>
        <p className="visually-hidden" role="status" aria-live="polite">
          {loading ? 'Loading referrals' : `${shown.length} ${shown.length === 1 ? 'referral' : 'referrals'} shown`}
        </p>
        {error !== null && <ErrorPanel error={error} title="Could not load the referrals" onRetry={() => void reload()} />}
        {loading && items.length === 0 ? (
          <Loading label="Loading referrals" lines={4} />
        ) : shown.length === 0 && error === null ? (
          <div className="empty">
            <p>
              {needle
                ? 'No loaded referral matches your search.'
                : status
                  ? `No ${statusLabel(status).toLowerCase()} referrals here.`
                  : 'No referrals here yet.'}
            </p>
          </div>
        ) : (
          <div className="table-wrap">
            <table className="table referral-table">
              <caption className="visually-hidden">{boxes.find((b) => b.id === box)?.label} referrals</caption>
              <thead>
                <tr>
                  <th scope="col">Patient and reason</th>
                  <th scope="col">{box === 'received' ? 'From' : box === 'sent' ? 'To' : 'From → to'}</th>
                  <th scope="col">Status</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r) => (
                  <tr key={r.id} className="row-link" onClick={() => navigate(`/referrals/${r.id}`)} data-referral-id={r.id}>
                    <td>
                      <Link to={`/referrals/${r.id}`} className="row-title" onClick={(e) => e.stopPropagation()}>
                        {fullName(r.patient)}
                      </Link>{' '}
                      <UnreadBadge count={r.unreadCount} />
                      <span className="row-sub">{r.reason}</span>
                      <span className="row-sub muted small">{kindLabel(r.kind)}</span>
                    </td>
                    <td>
                      {box === 'received' ? (
                        <Party name={r.sender.fullName} clinic={r.sender.clinicName} />
                      ) : box === 'sent' ? (
                        <Party name={recipientParty(r).fullName} clinic={recipientParty(r).clinicName} />
                      ) : (
                        <>
                          <Party name={r.sender.fullName} clinic={r.sender.clinicName} />
                          <span aria-label="to"> → </span>
                          <Party name={recipientParty(r).fullName} clinic={recipientParty(r).clinicName} />
                        </>
                      )}
                    </td>
                    <td>
                      <ReferralChips referral={r} />
                    </td>
                    <td className="nowrap">{formatDateTime(r.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore list={list} />
      </div>
    </>
  );
}

function Party({ name, clinic }: { name: string; clinic: string }) {
  return (
    <span className="party">
      <span>{name}</span>
      <span className="muted small">{clinic}</span>
    </span>
  );
}
