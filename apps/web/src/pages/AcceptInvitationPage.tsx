import { type FormEvent, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import { startSession } from '../api/session';
import { Field } from '../components/Field';
import { Notice } from '../components/Feedback';
import { firstInvalid, useFocusAfterRender } from '../lib/focus';
import { useTitle } from '../lib/hooks';
import { useCheckedLink } from '../lib/link-token';
import { signInAfterLostAnswer } from '../lib/lost-answer';
import { Link, navigate } from '../lib/router';
import { PublicFrame } from './SignInPage';
import { PASSWORD_HINT, PASSWORD_MIN } from './account/password-fields';

export function AcceptInvitationPage() {
  useTitle('Accept invitation');
  const { token, checked, dead, deadRef, refusedLink } = useCheckedLink(
    (linkToken) => call(api.POST('/api/v1/auth/accept-invitation/lookup', { body: { token: linkToken } })),
    { legacyQuery: true },
  );
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<{ password?: string; confirm?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const focusAfter = useFocusAfterRender();
  /**
   * The password of an acceptance whose answer never came (the connection dropped on the way back):
   * it may have been taken, and the link used. Sent again, the link is then refused, and signing in
   * with the invitation's address and that password finishes it.
   */
  const lostWith = useRef<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const next: typeof errors = {};
    if (password.length < PASSWORD_MIN) next.password = `Use at least ${PASSWORD_MIN} characters.`;
    if (confirm !== password) next.confirm = 'The two passwords differ.';
    setErrors(next);
    if (Object.keys(next).length > 0) {
      focusAfter(() => firstInvalid(formRef.current));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      startSession(await call(api.POST('/api/v1/auth/accept-invitation', { body: { token, password } })));
      navigate('/', { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) lostWith.current = password;
      else if (e instanceof ApiError && e.fieldMessage('token') && lostWith.current === password && checked) {
        if (await signInAfterLostAnswer(checked.email, password)) return;
      }
      if (refusedLink(e)) return;
      if (e instanceof ApiError && e.fieldMessage('password')) {
        setErrors({ password: e.fieldMessage('password') });
        focusAfter(() => firstInvalid(formRef.current));
      }
      setError(e);
      setBusy(false);
    }
  };

  if (!token) {
    return (
      <PublicFrame title="Accept invitation">
        <Notice tone="error">This link has no invitation token. Ask your clinic admin for a new invitation link.</Notice>
        <Link to="/sign-in">Go to sign in</Link>
      </PublicFrame>
    );
  }

  if (dead) {
    return (
      <PublicFrame title="Accept invitation">
        <div ref={deadRef} tabIndex={-1} className="flash-slot">
          <Notice tone="error">
            This invitation has expired or was already used. Ask your clinic admin for a new link (a link also stops working when
            its invitation is re-sent or revoked).
          </Notice>
        </div>
        <p>
          Already set your password? <Link to="/sign-in">Sign in</Link>.
        </p>
      </PublicFrame>
    );
  }

  return (
    <PublicFrame title="Accept invitation">
      <p>Welcome to ReferLoop{checked ? `, ${checked.fullName}` : ''}. Choose a password to finish setting up your account.</p>
      {error !== null && <Notice tone="error">{errorMessage(error)}</Notice>}
      <form ref={formRef} onSubmit={(event) => void submit(event)} className="stack" noValidate>
        <Field label="New password" required hint={PASSWORD_HINT} error={errors.password}>
          {(p) => (
            <input
              {...p}
              type="password"
              name="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Field label="Repeat the password" required error={errors.confirm}>
          {(p) => (
            <input
              {...p}
              type="password"
              name="confirm"
              autoComplete="new-password"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Setting up…' : 'Set password and sign in'}
        </button>
      </form>
    </PublicFrame>
  );
}
