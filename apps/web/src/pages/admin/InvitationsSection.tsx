import { useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { errorMessage } from '../../api/problem';
import type { components } from '../../api/schema';
import { ConfirmInRow } from '../../components/ConfirmInRow';
import { ErrorPanel, Notice } from '../../components/Feedback';
import { useFocusAfterRender } from '../../lib/focus';
import { formatDateTimeInZone } from '../../lib/format';
import { useAsync } from '../../lib/hooks';
import { roleLabel } from '../../lib/labels';
import { type ShownZone, TimesTable } from './ClinicTime';

type InvitationItem = components['schemas']['InvitationItemDto'];
export interface IssuedLink {
  name: string;
  /** Whose invitation it is: a later re-send or revoke of theirs kills this link. */
  email: string;
  url: string;
  expiresAt: string;
}

const STATUS: Record<InvitationItem['status'], { label: string; tone: string }> = {
  pending: { label: 'Waiting to join', tone: 'info' },
  accepted: { label: 'Joined', tone: 'success' },
  expired: { label: 'Link expired', tone: 'warning' },
  revoked: { label: 'Revoked', tone: 'neutral' },
};

/**
 * The clinic's invitations with their status. A pending or expired one can be re-sent (a new link,
 * shown to copy; the previous link stops working) or revoked, once confirmed (the email is free again).
 * `onLink` shows a re-sent invitation's link, and takes focus there; `onRevoked` tells whose link stopped
 * working, so that the page stops showing it. Until when a link is valid is
 * shown on the clocks of `zone` (the page's `useClinicTimeZone()`; undefined while it loads).
 */
export function InvitationsSection({
  reloadKey,
  zone,
  onLink,
  onRevoked,
}: {
  reloadKey: number;
  zone: ShownZone | undefined;
  onLink: (link: IssuedLink) => void;
  onRevoked: (email: string) => void;
}) {
  const list = useAsync(
    async () => (await call(api.GET('/api/v1/invitations', { params: { query: { limit: 100 } } }))).items,
    [reloadKey],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const resend = async (item: InvitationItem) => {
    setBusy(item.id);
    setOutcome(null);
    try {
      const { invitation } = await call(api.POST('/api/v1/invitations/{id}/resend', { params: { path: { id: item.id } } }));
      onLink({ name: item.fullName, email: item.email, url: invitation.url, expiresAt: invitation.expiresAt });
      await list.reload();
    } catch (e) {
      setOutcome({ tone: 'error', text: `Could not re-send the invitation: ${errorMessage(e)}` });
      // The button was disabled while sending, which dropped focus: on to why it failed.
      focusAfter(() => outcomeRef.current);
    } finally {
      setBusy(null);
    }
  };

  const revoke = async (item: InvitationItem) => {
    setBusy(item.id);
    setOutcome(null);
    try {
      await call(api.DELETE('/api/v1/invitations/{id}', { params: { path: { id: item.id } } }));
      setConfirming(null);
      onRevoked(item.email);
      setOutcome({ tone: 'success', text: `The invitation to ${item.fullName} is revoked: the link no longer works.` });
      await list.reload();
    } catch (e) {
      setOutcome({ tone: 'error', text: `Could not revoke the invitation: ${errorMessage(e)}` });
    } finally {
      setBusy(null);
    }
    // The question and its buttons are gone: say what happened instead.
    focusAfter(() => outcomeRef.current);
  };

  return (
    <section className="subsection" aria-labelledby="invitations-heading">
      <h2 id="invitations-heading">Invitations</h2>
      <div ref={outcomeRef} tabIndex={-1} className="flash-slot">
        {outcome && <Notice tone={outcome.tone}>{outcome.text}</Notice>}
      </div>
      {list.error !== undefined ? (
        <ErrorPanel error={list.error} title="Could not load the invitations" onRetry={() => void list.reload()} />
      ) : (
        <TimesTable
          zone={zone}
          rows={list.data}
          loadingLines={3}
          empty="No invitations yet."
          columns={['Invited', 'Status', 'Link valid until', <span className="visually-hidden">Actions</span>]}
          testId="invitations-table"
          labelledBy="invitations-heading"
          row={(item, timeZone) => {
            const open = item.status === 'pending' || item.status === 'expired';
            return (
              <tr key={item.id} data-invitation-email={item.email}>
                <th scope="row">
                  {item.fullName}
                  <span className="row-sub muted small">
                    {roleLabel(item.role)} · {item.email}
                  </span>
                </th>
                <td data-label="Status">
                  <span className={`chip chip-${STATUS[item.status].tone}`} data-status={item.status}>
                    {STATUS[item.status].label}
                  </span>
                </td>
                <td data-label="Link valid until" className="small">
                  {open ? formatDateTimeInZone(item.expiresAt, timeZone) : '—'}
                </td>
                <td>
                  {open && (
                    <ConfirmInRow
                      asking={confirming === item.id}
                      id={item.id}
                      label={`Revoke the invitation to ${item.fullName}?`}
                      question="Revoke it? The link stops working at once."
                      yes="Yes, revoke"
                      keep="Keep it"
                      busy={busy === item.id}
                      onAsk={() => {
                        setOutcome(null);
                        setConfirming(item.id);
                      }}
                      onYes={() => void revoke(item)}
                      onKeep={() => setConfirming(null)}
                    >
                      {(ask) => (
                        <span className="action-buttons">
                          <button
                            type="button"
                            className="button button-secondary button-small"
                            disabled={busy === item.id}
                            onClick={() => void resend(item)}
                            aria-label={`Re-send the invitation to ${item.fullName}`}
                          >
                            Re-send
                          </button>
                          <button
                            {...ask}
                            type="button"
                            className="button button-danger button-small"
                            disabled={busy === item.id}
                            data-revoke={item.id}
                            aria-label={`Revoke the invitation to ${item.fullName}`}
                          >
                            Revoke
                          </button>
                        </span>
                      )}
                    </ConfirmInRow>
                  )}
                </td>
              </tr>
            );
          }}
        />
      )}
    </section>
  );
}
