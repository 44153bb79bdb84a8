import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { ApiError } from '../../api/problem';
import type { AuditAction, User } from '../../api/types';
import { apiFieldError, Field } from '../../components/Field';
import { ErrorPanel, LoadMore } from '../../components/Feedback';
import { firstInvalid, useFocusAfterRender } from '../../lib/focus';
import { formatDateTimeInZone } from '../../lib/format';
import { useAsync, usePagedList, useTitle } from '../../lib/hooks';
import { auditActionLabel, humanize } from '../../lib/labels';
import { Link } from '../../lib/router';
import { useReferenceData } from '../../lib/session-hooks';
import { clinicMembers } from './admin-data';
import { TimesTable, useClinicTimeZone } from './ClinicTime';

/** What an audit event is about, as the API filters it ('' for any). */
type ResourceFilter = '' | 'patient' | 'referral' | 'attachment' | 'consent' | 'user' | 'webhook';

const RESOURCES: Record<Exclude<ResourceFilter, ''>, string> = {
  patient: 'Patient',
  referral: 'Referral',
  attachment: 'Attachment',
  consent: 'Consent',
  user: 'Account',
  webhook: 'Webhook',
};
const resourceLabel = (type: string) => RESOURCES[type as keyof typeof RESOURCES] ?? humanize(type);

interface Filters {
  action: AuditAction | '';
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
  // Times as the clinic's clocks read them (its days are what the From and To filters pick), zone named.
  const zone = useClinicTimeZone();
  const { auditActions } = useReferenceData();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const fetchPage = useCallback(
    (cursor?: string) =>
      call(
        api.GET('/api/v1/admin/audit-events', {
          params: {
            query: {
              action: filters.action || undefined,
              resourceType: filters.resourceType || undefined,
              actorId: filters.actorId || undefined,
              // Days as picked: the API reads them in the clinic's time zone, whatever the browser's.
              from: filters.from || undefined,
              to: filters.to || undefined,
              cursor,
              limit: 50,
            },
          },
        }),
      ),
    [filters],
  );
  const list = usePagedList(fetchPage);
  const { items, error, reload } = list;
  const [rangeError, setRangeError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const focusAfter = useFocusAfterRender();
  // Filters the API refused: asking again gives the same answer, so the person goes to what to change.
  const refused = error instanceof ApiError && error.fieldErrors.length > 0;
  useEffect(() => {
    if (refused) firstInvalid(formRef.current)?.focus();
  }, [error, refused]);
  const fieldError = (field: keyof Filters) => (field === 'from' && rangeError) || apiFieldError(error, field);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Checked here first, as the dashboard does: the API would refuse it the same way.
    const problem = draft.from && draft.to && draft.from > draft.to ? 'Choose a start on or before the end date.' : null;
    setRangeError(problem);
    if (problem) {
      focusAfter(() => firstInvalid(formRef.current));
      return;
    }
    setFilters(draft);
  };

  return (
    <>
      <h1 id="audit-heading" tabIndex={-1}>
        Audit log
      </h1>
      <p className="muted">
        Who read or changed which patient or referral, who invited whom, and who set up or removed a webhook: when and from where.
        Ids only, no patient data.
      </p>
      <form ref={formRef} className="filters" onSubmit={submit} noValidate aria-label="Filter the audit log">
        <Field label="Action" error={fieldError('action')}>
          {(props) => (
            <select
              {...props}
              value={draft.action}
              onChange={(e) => setDraft({ ...draft, action: e.target.value as AuditAction | '' })}
            >
              <option value="">Any</option>
              {auditActions.map((action) => (
                <option key={action} value={action}>
                  {auditActionLabel(action)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Resource" error={fieldError('resourceType')}>
          {(props) => (
            <select
              {...props}
              value={draft.resourceType}
              onChange={(e) => setDraft({ ...draft, resourceType: e.target.value as ResourceFilter })}
            >
              <option value="">Any</option>
              {Object.entries(RESOURCES).map(([type, label]) => (
                <option key={type} value={type}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Who" error={fieldError('actorId')}>
          {(props) => (
            <select {...props} value={draft.actorId} onChange={(e) => setDraft({ ...draft, actorId: e.target.value })}>
              <option value="">Anyone</option>
              {(people.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.fullName}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="From" error={fieldError('from')}>
          {(props) => (
            <input
              {...props}
              type="date"
              value={draft.from}
              max={draft.to || undefined}
              onChange={(e) => setDraft({ ...draft, from: e.target.value })}
            />
          )}
        </Field>
        <Field label="To" error={fieldError('to')}>
          {(props) => (
            <input
              {...props}
              type="date"
              value={draft.to}
              min={draft.from || undefined}
              onChange={(e) => setDraft({ ...draft, to: e.target.value })}
            />
          )}
        </Field>
        <button type="submit" className="button button-secondary">
          Filter
        </button>
      </form>
      {error !== null &&
        (refused ? (
          <ErrorPanel error={error} title="Check the filters" />
        ) : (
          <ErrorPanel error={error} title="Could not load the audit log" onRetry={() => void reload()} />
        ))}
      <TimesTable
        zone={zone}
        rows={items}
        quiet={error !== null}
        loadingLines={6}
        empty="No audit events match."
        columns={['When', 'Who', 'Action', 'Resource', 'Outcome', 'IP']}
        testId="audit-table"
        labelledBy="audit-heading"
        row={(e, timeZone) => (
          <tr key={e.id}>
            <td data-label="When" className="nowrap">
              {formatDateTimeInZone(e.occurredAt, timeZone)}
            </td>
            {/* Nobody: a timer of the system, or a request by someone not signed in (a failed sign-in, a reset asked for). */}
            <td data-label="Who">
              {e.actorName ?? (e.actorId !== null ? `${e.actorId.slice(0, 8)}…` : e.requestId ? 'Not signed in' : 'System')}
              {/* Someone of another clinic party to the referral: which one (their IP is theirs). */}
              {e.clinicId !== null && e.clinicId !== user.clinicId && <span className="row-sub small muted">{e.clinicName}</span>}
            </td>
            <td data-label="Action">
              {auditActionLabel(e.action)}
              {/* The code too: the Action filter takes it. */}
              <code className="row-sub small muted">{e.action}</code>
            </td>
            <td data-label="Resource">
              {resourceLabel(e.resourceType)}
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
              <span className={`chip chip-${e.outcome === 'success' ? 'success' : 'danger'}`}>{e.outcome.replace('_', ' ')}</span>
            </td>
            <td data-label="IP" className="small">
              {e.ip ?? '—'}
            </td>
          </tr>
        )}
      />
      <LoadMore list={list} />
    </>
  );
}
