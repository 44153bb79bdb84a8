import { type FormEvent, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { ApiError, errorMessage } from '../../api/problem';
import type { Practitioner, Referral, User } from '../../api/types';
import { ErrorPanel, Notice } from '../../components/Feedback';
import { ReferralChips } from '../../components/StatusChip';
import { UnreadBadge } from '../../components/UnreadBadge';
import { useFocusAfterRender } from '../../lib/focus';
import { formatDateTimeInZone, fullName } from '../../lib/format';
import { useAsync, useTitle } from '../../lib/hooks';
import { kindLabel, roleLabel } from '../../lib/labels';
import { Link } from '../../lib/router';
import { clinicMembers } from './admin-data';
import { TimesTable, useClinicTimeZone } from './ClinicTime';

interface Unowned {
  referral: Referral;
  /** The clinic's practitioner on the referral who can no longer act on it. */
  owner: Practitioner;
}

/**
 * Open referrals whose practitioner on the clinic's side is deactivated: the admin hands each one to
 * an active practitioner of the same role (POST /referrals/:id/reassign).
 */
async function loadUnowned(): Promise<{ items: Unowned[]; team: Practitioner[] }> {
  const referrals: Referral[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const result = await call(api.GET('/api/v1/admin/referrals/unowned', { params: { query: { cursor, limit: 100 } } }));
    referrals.push(...result.items);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  const members = await clinicMembers();
  const people = new Map(members.map((p) => [p.id, p]));
  const items = referrals.flatMap((referral) => {
    const own = [referral.sender, referral.recipient].flatMap((p) => (p && people.has(p.id) ? [people.get(p.id)!] : []));
    const owner = own.find((p) => !p.active) ?? own[0];
    return owner ? [{ referral, owner }] : [];
  });
  return { items, team: members.filter((p) => p.active && p.status === 'active') };
}

export function UnownedReferralsPage({ user }: { user: User }) {
  useTitle('Unowned referrals');
  const data = useAsync(loadUnowned, [user.clinicId]);
  // When each was last updated, on the clinic's clocks, the zone named.
  const zone = useClinicTimeZone();
  const [done, setDone] = useState<string | null>(null);
  const doneRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  return (
    <>
      <h1 tabIndex={-1}>Unowned referrals</h1>
      <p className="muted">
        Open referrals whose practitioner in your clinic is deactivated. Hand each one to an active practitioner of the same role;
        they are notified and the referral's timeline records the change.
      </p>
      <div ref={doneRef} tabIndex={-1} className="flash-slot">
        {done && <Notice tone="success">{done}</Notice>}
      </div>
      {data.error !== undefined ? (
        <ErrorPanel error={data.error} title="Could not load the unowned referrals" onRetry={() => void data.reload()} />
      ) : (
        <TimesTable
          zone={zone}
          rows={data.data?.items}
          loadingLines={4}
          empty="Every open referral has an active practitioner."
          columns={['Referral', 'Status', 'Deactivated practitioner', 'Reassign to']}
          testId="unowned-table"
          row={({ referral, owner }, timeZone) => (
            <tr key={referral.id} data-referral-id={referral.id}>
              <th scope="row">
                <Link to={`/referrals/${referral.id}`}>{kindLabel(referral.kind)}</Link>{' '}
                <UnreadBadge count={referral.unreadCount} />
                <span className="row-sub muted small">
                  {referral.patient ? fullName(referral.patient) : ''} · updated{' '}
                  {formatDateTimeInZone(referral.updatedAt, timeZone)}
                </span>
              </th>
              <td>
                <ReferralChips referral={referral} />
              </td>
              <td>
                {owner.fullName}
                <span className="row-sub muted small">{roleLabel(owner.role)}</span>
              </td>
              <td>
                <ReassignForm
                  referral={referral}
                  owner={owner}
                  team={data.data!.team}
                  onStart={() => setDone(null)}
                  onDone={(to) => {
                    const patient = referral.patient ? ` for ${fullName(referral.patient)}` : '';
                    setDone(`${kindLabel(referral.kind)} referral${patient} now belongs to ${to.fullName}.`);
                    void data.reload();
                    // The row leaves the list with its button: focus goes to what happened.
                    focusAfter(() => doneRef.current);
                  }}
                />
              </td>
            </tr>
          )}
        />
      )}
    </>
  );
}

function ReassignForm({
  referral,
  owner,
  team,
  onStart,
  onDone,
}: {
  referral: Referral;
  owner: Practitioner;
  team: Practitioner[];
  /** A reassignment is on its way: the last one's message no longer applies. */
  onStart: () => void;
  onDone: (to: Practitioner) => void;
}) {
  const choices = team.filter((p) => p.role === owner.role && p.id !== owner.id);
  const [to, setTo] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const selectId = `reassign-${referral.id}`;
  const errorId = `${selectId}-error`;
  const selectRef = useRef<HTMLSelectElement>(null);
  const focusAfter = useFocusAfterRender();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    onStart();
    const target = choices.find((p) => p.id === to);
    if (!target) {
      setError('Choose who takes it over.');
      focusAfter(() => selectRef.current);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await call(
        api.POST('/api/v1/referrals/{id}/reassign', {
          params: { path: { id: referral.id } },
          body: { practitionerId: target.id, version: referral.version },
        }),
      );
      onDone(target);
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === 'stale_version'
          ? 'This referral changed meanwhile. Reload the page and try again.'
          : errorMessage(e),
      );
      setBusy(false);
      // The button was disabled meanwhile: on to the choice the error is about.
      focusAfter(() => selectRef.current);
    }
  };

  if (choices.length === 0) {
    return (
      <span className="muted small">No other active practitioner in your clinic has this role ({roleLabel(owner.role)}).</span>
    );
  }
  return (
    <form
      className="inline-form"
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-label={`Reassign the referral of ${owner.fullName}`}
    >
      <label htmlFor={selectId} className="visually-hidden">
        Reassign to
      </label>
      <select
        ref={selectRef}
        id={selectId}
        value={to}
        onChange={(e) => setTo(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
      >
        <option value="">Choose a practitioner</option>
        {choices.map((p) => (
          <option key={p.id} value={p.id}>
            {p.fullName}
          </option>
        ))}
      </select>
      <button type="submit" className="button button-primary button-small" disabled={busy}>
        {busy ? 'Reassigning…' : 'Reassign'}
      </button>
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </form>
  );
}
