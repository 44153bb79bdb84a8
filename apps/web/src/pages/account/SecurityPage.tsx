import { type FormEvent, type ReactNode, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { ApiError, errorMessage } from '../../api/problem';
import { endSession } from '../../api/session';
import { Field } from '../../components/Field';
import { ErrorPanel, LoadMore, Loading, Notice } from '../../components/Feedback';
import { type Flash, takeFlash } from '../../lib/flash';
import { firstInvalid, useFocusAfterRender } from '../../lib/focus';
import { formatDateTime } from '../../lib/format';
import { usePagedList, useTitle } from '../../lib/hooks';
import { navigate } from '../../lib/router';
import { checkNewPassword, NewPasswordFields, type NewPasswordErrors } from './password-fields';

export const SECURITY_PATH = '/settings/security';

const fetchSessions = (cursor?: string) => call(api.GET('/api/v1/me/sessions', { params: { query: { cursor, limit: 50 } } }));
type Session = Awaited<ReturnType<typeof fetchSessions>>['items'][number];

/** Tells what the page's last action came to (`null` as a new one starts) and takes focus there. */
type Say = (flash: Flash | null) => void;

/** Your password and the devices signed in to your account. */
export function SecurityPage() {
  useTitle('Account security');
  const [flash, setFlash] = useState<Flash | null>(() => takeFlash());
  const sessions = usePagedList(fetchSessions);
  const flashRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  const say: Say = (next) => {
    setFlash(next);
    // The pressed button was disabled meanwhile (or is gone with its session): focus goes to the answer.
    if (next) focusAfter(() => flashRef.current);
  };
  return (
    <>
      <h1 tabIndex={-1}>Account security</h1>
      <div ref={flashRef} tabIndex={-1} className="flash-slot">
        {flash && <Notice tone={flash.tone}>{flash.text}</Notice>}
      </div>
      <ChangePassword say={say} onChanged={() => void sessions.reload()} />
      <section className="card" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Your sessions</h2>
        <p className="muted">Every device and browser signed in to your account. Sign out any you do not recognise.</p>
        {sessions.error !== null ? (
          <ErrorPanel error={sessions.error} title="Could not load your sessions" onRetry={() => void sessions.reload()} />
        ) : !sessions.items ? (
          <Loading lines={3} />
        ) : (
          <SessionList
            sessions={sessions.items}
            more={<LoadMore list={sessions} />}
            say={say}
            onChanged={() => void sessions.reload()}
          />
        )}
      </section>
    </>
  );
}

function ChangePassword({ say, onChanged }: { say: Say; onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<NewPasswordErrors & { current?: string }>({});
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const focusAfter = useFocusAfterRender();
  const focusFirstInvalid = () => focusAfter(() => firstInvalid(formRef.current));
  /**
   * A change whose answer never came (the connection dropped on the way back) may have been made:
   * sent again, its current password is then the old one, and refused as such.
   */
  const lostWith = useRef<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const attempt = JSON.stringify([current, password]);
    const next = { ...checkNewPassword(password, confirm), ...(current ? {} : { current: 'Enter your current password.' }) };
    setErrors(next);
    say(null);
    if (Object.keys(next).length > 0) {
      focusFirstInvalid();
      return;
    }
    setBusy(true);
    try {
      await call(api.POST('/api/v1/me/password', { body: { currentPassword: current, newPassword: password } }));
      setCurrent('');
      setPassword('');
      setConfirm('');
      say({ tone: 'success', text: 'Your password is changed. Your other sessions are signed out.' });
      onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) lostWith.current = attempt;
      if (e instanceof ApiError && e.fieldMessage('currentPassword')) {
        setErrors({
          current:
            lostWith.current === attempt
              ? 'This is not your current password now. Your first try may have changed it (its answer did not come back): if so, your new password is already the one to use.'
              : 'This is not your current password.',
        });
        focusFirstInvalid();
      } else if (e instanceof ApiError && e.fieldMessage('newPassword')) {
        setErrors({ password: e.fieldMessage('newPassword') });
        focusFirstInvalid();
      } else say({ tone: 'error', text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">Change your password</h2>
      <form ref={formRef} onSubmit={(event) => void submit(event)} className="stack" noValidate aria-label="Change your password">
        <Field label="Current password" required error={errors.current}>
          {(p) => (
            <input
              {...p}
              type="password"
              name="currentPassword"
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          )}
        </Field>
        <NewPasswordFields
          password={password}
          confirm={confirm}
          errors={errors}
          onPassword={setPassword}
          onConfirm={setConfirm}
        />
        <div className="actions-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}

function SessionList({
  sessions,
  more,
  say,
  onChanged,
}: {
  sessions: Session[];
  /** "Load more" while more sessions than one page are signed in. */
  more: ReactNode;
  say: Say;
  onChanged: () => void;
}) {
  const [busy, setBusy] = useState<string | null>(null);

  const signOut = async (session: Session) => {
    setBusy(session.id);
    say(null);
    try {
      await call(api.DELETE('/api/v1/me/sessions/{id}', { params: { path: { id: session.id } } }));
      say({ tone: 'success', text: `${deviceName(session.userAgent)} is signed out.` });
      onChanged();
    } catch (e) {
      say({ tone: 'error', text: errorMessage(e) });
    } finally {
      setBusy(null);
    }
  };

  const signOutEverywhere = async () => {
    setBusy('all');
    say(null);
    try {
      await call(api.POST('/api/v1/auth/logout-all'));
      endSession('signed_out');
      navigate('/sign-in');
    } catch (e) {
      say({ tone: 'error', text: errorMessage(e) });
      setBusy(null);
    }
  };

  return (
    <>
      {/* Focusable, so keyboard users can scroll it sideways on a phone when it holds no button. */}
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Your sessions">
        <table className="table" data-testid="sessions-table">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last active</th>
              <th scope="col">IP address</th>
              <th scope="col">
                <span className="visually-hidden">Sign out</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id} data-session-id={s.id} data-current={s.current ? 'true' : undefined}>
                <th scope="row">
                  {deviceName(s.userAgent)} {s.current && <span className="chip chip-success">This device</span>}
                </th>
                <td data-label="Signed in">{formatDateTime(s.createdAt)}</td>
                <td data-label="Last active">{s.lastUsedAt ? formatDateTime(s.lastUsedAt) : '—'}</td>
                <td data-label="IP address">{s.ip ?? '—'}</td>
                <td>
                  {!s.current && (
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      disabled={busy !== null}
                      onClick={() => void signOut(s)}
                      aria-label={`Sign out ${deviceName(s.userAgent)}, signed in ${formatDateTime(s.createdAt)}`}
                    >
                      Sign out
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more}
      <div className="actions-row">
        <button
          type="button"
          className="button button-secondary"
          disabled={busy !== null}
          onClick={() => void signOutEverywhere()}
        >
          {busy === 'all' ? 'Signing out…' : 'Sign out everywhere'}
        </button>
        <p className="muted small">Ends every session, this one included.</p>
      </div>
    </>
  );
}

/** A readable name for a browser's User-Agent ("Chrome on Linux"), or a generic one. */
export function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : null;
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : null;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? userAgent.slice(0, 60);
}
