import { type FormEvent, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { releaseHeldSession, startSession } from '../api/session';
import type { User } from '../api/types';
import { useFocusAfterRender, useModalDialog } from '../lib/focus';
import { PasswordField, signInRefusal } from '../pages/SignInPage';
import { Notice } from './Feedback';

/**
 * Over a screen whose session ended (signed out everywhere from another device, a password change,
 * the session's age): its user signs in again here and carries on with the screen as it was, what
 * they typed included. A modal dialog: the screen behind it cannot be used meanwhile.
 */
export function ResumeSession({ user }: { user: User & { email: string } }) {
  const passwordRef = useRef<HTMLInputElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const focusAfter = useFocusAfterRender();

  /** Focus goes back to where it was on the screen when the session ended, once signed in. */
  const { dialogRef, close } = useModalDialog(passwordRef);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setMissing(!password);
    if (!password) {
      focusAfter(() => passwordRef.current);
      return;
    }
    setBusy(true);
    try {
      const tokens = await call(api.POST('/api/v1/auth/login', { body: { email: user.email, password } }));
      // Same account: the dialog goes and the screen behind it carries on, focus where it was (else its heading).
      close();
      startSession(tokens);
    } catch (e) {
      setError(e);
      setBusy(false);
      focusAfter(() => errorRef.current);
    }
  };

  return (
    // Escape does not close it: behind it is a screen no request can be made from.
    <dialog
      ref={dialogRef}
      className="resume-session"
      aria-labelledby="resume-session-heading"
      aria-describedby="resume-session-text"
      onCancel={(event) => event.preventDefault()}
    >
      <h2 id="resume-session-heading">Your session ended</h2>
      <p id="resume-session-text">
        You were signed out, for example from another device or by a password change. Sign in again as {user.email} to carry on:
        this page stays as it is, with what you typed.
      </p>
      <div ref={errorRef} tabIndex={-1} className="flash-slot">
        {error !== null && <Notice tone="error">{signInRefusal(error)}</Notice>}
      </div>
      <form onSubmit={(event) => void submit(event)} className="stack" noValidate>
        {/* For password managers: the account being signed in to. */}
        <input type="email" name="email" autoComplete="username" value={user.email} readOnly hidden />
        <PasswordField
          value={password}
          onChange={setPassword}
          error={missing ? 'Enter your password.' : undefined}
          inputRef={passwordRef}
        />
        <div className="actions-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <button type="button" className="button button-secondary" onClick={releaseHeldSession}>
            Sign in as someone else
          </button>
        </div>
      </form>
    </dialog>
  );
}
