import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { errorMessage } from '../api/problem';
import type { Referral, ReferralMessage } from '../api/types';
import { useFocusAfterRender } from '../lib/focus';
import { formatDateTime } from '../lib/format';
import { useIdempotencyKeys } from '../lib/hooks';
import { useLeaveGuard } from '../lib/leave-guard';
import { liveStreamOpen } from '../lib/live';
import { recipientParty } from '../lib/labels';
import { useUser } from '../lib/session-hooks';
import { Field } from './Field';
import { Notice } from './Feedback';
import { NOTIFICATIONS_CHANGED } from './NotificationBell';

/**
 * How often an open conversation looks for new messages from the other side while live events are
 * not arriving (they re-read it at once). Each read is audited: an idle tab must not fill the log.
 */
const POLL_MS = 10_000;
const PAGE_SIZE = 100;
/** A conversation longer than this many pages shows its first ones only (a referral is not a chat room). */
const MAX_PAGES = 10;
const MAX_LENGTH = 5000;

/** Every message of the referral, oldest first (the API pages them oldest first). */
async function loadAll(referralId: string): Promise<ReferralMessage[]> {
  const messages: ReferralMessage[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const page = await call(
      api.GET('/api/v1/referrals/{id}/messages', { params: { path: { id: referralId }, query: { limit: PAGE_SIZE, cursor } } }),
    );
    messages.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return messages;
}

/** Marks the referral read, and with it your notifications about it: the bell counts again. */
const markRead = async (referralId: string) => {
  await call(api.POST('/api/v1/referrals/{id}/read', { params: { path: { id: referralId } } })).catch(() => undefined);
  window.dispatchEvent(new Event(NOTIFICATIONS_CHANGED));
};

/**
 * The conversation between the two sides of a sent referral: every message with its author and
 * time, and a box to write one. Showing it marks the referral read (its unread badge in the lists
 * drops to zero); it looks for new messages every few seconds while the tab is visible.
 */
export function Conversation({ referral }: { referral: Referral }) {
  const user = useUser()!;
  const sent = referral.sentAt !== null;
  const [messages, setMessages] = useState<ReferralMessage[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [draft, setDraft] = useState('');
  const idempotency = useIdempotencyKeys();
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const lastSeen = useRef<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const focusAfter = useFocusAfterRender();
  // Back to the box after sending (the button was disabled meanwhile) or to fix what was refused.
  const focusMessageBox = () => focusAfter(() => formRef.current?.querySelector('textarea'));
  // Leaving the page with a message typed and not sent asks first, as the other forms do.
  useLeaveGuard(draft.trim() !== '');

  /** Reads the messages; marks the referral read when asked to, or when a new message arrived. */
  const refresh = useCallback(
    async (markAnyway: boolean) => {
      try {
        const all = await loadAll(referral.id);
        setMessages(all);
        setLoadError(null);
        const last = all[all.length - 1]?.id ?? '';
        // Shown, so read.
        if (markAnyway || lastSeen.current !== last) {
          lastSeen.current = last;
          await markRead(referral.id);
        }
      } catch (error) {
        setLoadError(error);
      }
    },
    [referral.id],
  );

  // A message moves the referral's `updatedAt`: whenever the page reloads the referral (an action,
  // a live update), the conversation is read again.
  useEffect(() => {
    if (sent) void refresh(true);
  }, [sent, refresh, referral.updatedAt]);

  useEffect(() => {
    if (!sent) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible' && !liveStreamOpen()) void refresh(false);
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [sent, refresh]);

  const author = ({ authorId, authorName }: ReferralMessage) =>
    authorId === user.id
      ? 'You'
      : authorId === referral.senderId
        ? referral.sender.fullName
        : authorId === referral.recipientId
          ? recipientParty(referral).fullName
          : (authorName ?? 'Clinic admin');
  // The sender's side (the sender, or an admin of their clinic) writes to the recipient, and back.
  const senderSide =
    user.id === referral.senderId || (user.id !== referral.recipientId && user.clinicId === referral.sender.clinicId);
  const otherSide = senderSide ? recipientParty(referral).fullName : referral.sender.fullName;
  // Someone invited by email who has not joined yet is told of nothing until they do: their first look shows the messages.
  const notJoined = senderSide && referral.recipientId === null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = draft.trim();
    if (!body) {
      setFieldError('Write a message first.');
      focusMessageBox();
      return;
    }
    setBusy(true);
    setFieldError(undefined);
    setStatus('');
    try {
      const posted = await call(
        api.POST('/api/v1/referrals/{id}/messages', {
          params: { path: { id: referral.id }, header: { 'Idempotency-Key': idempotency.keyFor(body) } },
          body: { body },
        }),
      );
      idempotency.done();
      setMessages((current) => [...(current ?? []), posted]);
      lastSeen.current = posted.id;
      setDraft('');
      setStatus(`Message sent to ${otherSide}.`);
    } catch (error) {
      setFieldError(errorMessage(error));
    } finally {
      setBusy(false);
    }
    focusMessageBox();
  };

  return (
    <section className="card detail-conversation no-print" aria-labelledby="conversation-heading" data-testid="conversation">
      <h2 id="conversation-heading">Messages</h2>
      {!sent ? (
        <p className="muted">You can write to the other side once the referral is sent.</p>
      ) : (
        <>
          {loadError !== null && messages === null && (
            <Notice tone="error">Could not load the messages: {errorMessage(loadError)}</Notice>
          )}
          {messages === null ? (
            loadError === null && <p className="muted">Loading messages…</p>
          ) : messages.length === 0 ? (
            <p className="muted">
              No messages yet. Write to {otherSide} below; {notJoined ? 'they read it once they join ReferLoop' : 'they are told'}
              .
            </p>
          ) : (
            // It scrolls once long: focusable, so a keyboard can scroll it too (WCAG 2.1.1).
            <ol className="messages" aria-label="Conversation" tabIndex={0}>
              {messages.map((m) => (
                <li key={m.id} className={`message ${m.authorId === user.id ? 'message-mine' : ''}`} data-message-id={m.id}>
                  <p className="message-head">
                    <span className="message-author">{author(m)}</span>{' '}
                    <time dateTime={m.createdAt} className="muted small">
                      {formatDateTime(m.createdAt)}
                    </time>
                  </p>
                  <p className="prewrap message-body">{m.body}</p>
                </li>
              ))}
            </ol>
          )}
          <form ref={formRef} className="stack" aria-label="Write a message" onSubmit={(e) => void submit(e)}>
            <Field
              label={`Message to ${otherSide}`}
              hint={notJoined ? 'They read it once they join ReferLoop.' : 'They are told a new message is waiting.'}
              error={fieldError}
            >
              {(props) => (
                <textarea
                  {...props}
                  name="message"
                  rows={3}
                  maxLength={MAX_LENGTH}
                  value={draft}
                  onChange={(e) => setDraft(e.target.value)}
                />
              )}
            </Field>
            <div>
              <button type="submit" className="button button-primary" disabled={busy}>
                {busy ? 'Sending…' : 'Send message'}
              </button>
            </div>
            <p className="visually-hidden" role="status" aria-live="polite">
              {status}
            </p>
          </form>
        </>
      )}
    </section>
  );
}
