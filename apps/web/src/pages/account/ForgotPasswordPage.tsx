import { type FormEvent, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { ApiError, errorMessage } from '../../api/problem';
import { Field } from '../../components/Field';
import { Notice } from '../../components/Feedback';
import { firstInvalid, screenHeading, useFocusAfterRender } from '../../lib/focus';
import { useTitle } from '../../lib/hooks';
import { Link } from '../../lib/router';
import { PublicFrame } from '../SignInPage';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Asks for a password reset link by email. The answer is the same whether or not the address has an account. */
export function ForgotPasswordPage() {
  useTitle('Forgot password');
  const [email, setEmail] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const focusAfter = useFocusAfterRender();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const address = email.trim();
    const problem = !address
      ? 'Enter the email you sign in with.'
      : !EMAIL.test(address)
        ? 'Enter a valid email address.'
        : undefined;
    setFieldError(problem);
    if (problem) {
      focusAfter(() => firstInvalid(formRef.current));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await call(api.POST('/api/v1/auth/password-reset', { body: { email: address } }));
      setSentTo(address);
      // The form gives way to "Check your email": start there.
      focusAfter(screenHeading);
    } catch (e) {
      if (e instanceof ApiError && e.fieldMessage('email')) {
        setFieldError('Enter a valid email address.');
        focusAfter(() => firstInvalid(formRef.current));
      } else setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (sentTo) {
    return (
      <PublicFrame title="Check your email">
        <Notice tone="success">
          If {sentTo} belongs to a ReferLoop account, we have sent it a link to choose a new password. The link works once, for
          one hour.
        </Notice>
        <p className="muted small">No email after a few minutes? Check your spam folder, or ask for a new link.</p>
        <p>
          <Link to="/sign-in">Back to sign in</Link>
        </p>
      </PublicFrame>
    );
  }

  return (
    <PublicFrame title="Forgot your password?">
      <p>Enter the email you sign in with and we will send you a link to choose a new password.</p>
      {error !== null && <Notice tone="error">{errorMessage(error)}</Notice>}
      <form ref={formRef} onSubmit={(event) => void submit(event)} className="stack" noValidate aria-label="Forgot password">
        <Field label="Email" required error={fieldError}>
          {(p) => (
            <input
              {...p}
              type="email"
              name="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Sending…' : 'Email me a link'}
        </button>
      </form>
      <p>
        <Link to="/sign-in">Back to sign in</Link>
      </p>
    </PublicFrame>
  );
}
