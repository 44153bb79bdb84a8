import { type FormEvent, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { ApiError, errorMessage } from '../../api/problem';
import { startSession } from '../../api/session';
import { Notice } from '../../components/Feedback';
import { setFlash } from '../../lib/flash';
import { firstInvalid, useFocusAfterRender } from '../../lib/focus';
import { useTitle } from '../../lib/hooks';
import { useCheckedLink } from '../../lib/link-token';
import { Link, navigate } from '../../lib/router';
import { PublicFrame } from '../SignInPage';
import { checkNewPassword, NewPasswordFields, type NewPasswordErrors } from './password-fields';
import { SECURITY_PATH } from './SecurityPage';

export function ResetPasswordPage() {
  useTitle('Choose a new password');
  const { token, dead, deadRef, refusedLink } = useCheckedLink((linkToken) =>
    call(api.POST('/api/v1/auth/password-reset/lookup', { body: { token: linkToken } })),
  );
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<NewPasswordErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  /**
   * The password of a reset whose answer never came (the connection dropped on the way back): it may
   * have been taken, and the link used. Refused as used when sent again with it, the page says the
   * new password may be set already (this link does not tell whose address to sign in with).
   */
  const lostWith = useRef<string | null>(null);
  const [maybeSet, setMaybeSet] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const next = checkNewPassword(password, confirm);
    setErrors(next);
    if (Object.keys(next).length > 0) {
      focusAfter(() => firstInvalid(formRef.current));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      startSession(await call(api.POST('/api/v1/auth/password-reset/confirm', { body: { token, password } })));
      setFlash({ tone: 'success', text: 'Your password is changed. Any other device signed in to your account is signed out.' });
      navigate(SECURITY_PATH, { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) lostWith.current = password;
      setMaybeSet(lostWith.current === password);
      if (refusedLink(e)) return;
      if (e instanceof ApiError && e.fieldMessage('password')) setErrors({ password: e.fieldMessage('password') });
      else setError(e);
      setBusy(false);
      // The button was disabled meanwhile: on to the field to fix, or to the refusal (a used link).
      focusAfter(() => firstInvalid(formRef.current) ?? errorRef.current);
    }
  };

  if (!token) {
    return (
      <PublicFrame title="Choose a new password">
        <Notice tone="error">This link has no reset token. Open the link from the email again, or ask for a new one.</Notice>
        <Link to="/forgot-password">Ask for a new link</Link>
      </PublicFrame>
    );
  }

  if (dead) {
    return (
      <PublicFrame title="Choose a new password">
        <div ref={deadRef} tabIndex={-1} className="flash-slot">
          {maybeSet ? (
            <Notice tone="warning">
              Your new password may be set already: the first try reached ReferLoop, but its answer did not come back, and this
              link has been used since. Sign in with the new password; if it does not work, ask for a new link.
            </Notice>
          ) : (
            <Notice tone="error">
              This link has expired or was already used. Ask for a new link, and use the one in that email.
            </Notice>
          )}
        </div>
        <p>
          <Link to="/forgot-password">Ask for a new link</Link> · <Link to="/sign-in">Sign in</Link>
        </p>
      </PublicFrame>
    );
  }

  return (
    <PublicFrame title="Choose a new password">
      <div ref={errorRef} tabIndex={-1} className="flash-slot">
        {error !== null && <Notice tone="error">{errorMessage(error)}</Notice>}
      </div>
      <form
        ref={formRef}
        onSubmit={(event) => void submit(event)}
        className="stack"
        noValidate
        aria-label="Choose a new password"
      >
        <NewPasswordFields
          password={password}
          confirm={confirm}
          errors={errors}
          onPassword={setPassword}
          onConfirm={setConfirm}
        />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save password and sign in'}
        </button>
      </form>
    </PublicFrame>
  );
}
