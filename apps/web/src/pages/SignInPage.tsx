import { type FormEvent, type Ref, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import { lastEndReason, startSession } from '../api/session';
import { Field } from '../components/Field';
import { Notice } from '../components/Feedback';
import { firstInvalid, useFocusAfterRender } from '../lib/focus';
import { useTitle } from '../lib/hooks';
import { carriedLinkToken, linkTokenState } from '../lib/link-token';
import { Link, navigate, useLocation } from '../lib/router';

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Only same-app paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/** Why a sign-in was refused, in words (a deactivated account is told so; a wrong password is not told apart from a wrong email). */
export function signInRefusal(error: unknown): string {
  return error instanceof ApiError && error.code === 'unauthenticated' && error.body.reason !== 'deactivated'
    ? 'That email and password do not match.'
    : errorMessage(error);
}

export function SignInPage() {
  useTitle('Sign in');
  const { query } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [joinToken] = useState(() => carriedLinkToken('invitation'));
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const reason = lastEndReason();
  const formRef = useRef<HTMLFormElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: typeof errors = {};
    if (!email.trim()) found.email = 'Enter the email you sign in with.';
    else if (!EMAIL.test(email.trim())) found.email = 'Enter an email address like name@example.com.';
    if (!password) found.password = 'Enter your password.';
    setErrors(found);
    setError(null);
    if (Object.keys(found).length > 0) {
      focusAfter(() => firstInvalid(formRef.current));
      return;
    }
    setBusy(true);
    try {
      startSession(await call(api.POST('/api/v1/auth/login', { body: { email: email.trim(), password } })));
      // Came from a join link's page: back to it, signed in, to take the referral with this account.
      if (joinToken) navigate('/sign-up', { replace: true, state: linkTokenState('invitation', joinToken) });
      else navigate(safeNext(query.get('next')), { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.fieldErrors.length > 0) {
        setErrors({ email: e.fieldMessage('email'), password: e.fieldMessage('password') });
      }
      setError(e);
      setBusy(false);
      // The button was disabled meanwhile: on to the field to fix, or to the refusal.
      focusAfter(() => firstInvalid(formRef.current) ?? errorRef.current);
    }
  };

  return (
    <PublicFrame title="Sign in">
      {reason === 'expired' && !error && <Notice tone="info">Your session ended. Sign in again to carry on.</Notice>}
      {reason === 'signed_out' && !error && <Notice tone="success">You are signed out.</Notice>}
      {reason === 'deactivated' && !error && (
        <Notice tone="error">Your account has been deactivated: an admin of your clinic can reactivate it.</Notice>
      )}
      <div ref={errorRef} tabIndex={-1} className="flash-slot">
        {error !== null && <Notice tone="error">{signInRefusal(error)}</Notice>}
      </div>
      <form ref={formRef} onSubmit={(event) => void submit(event)} className="stack" noValidate>
        <Field label="Email" required error={errors.email}>
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
        <PasswordField value={password} onChange={setPassword} error={errors.password} />
        <div className="actions-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <Link to="/sign-up" className="button button-secondary">
            Create your practice
          </Link>
        </div>
      </form>
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p className="muted small">Invited by your clinic? Open the invitation link you were given to set your password.</p>
    </PublicFrame>
  );
}

/** The password of a sign-in (here, and again over a screen whose session ended). */
export function PasswordField({
  value,
  onChange,
  error,
  inputRef,
}: {
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
  inputRef?: Ref<HTMLInputElement>;
}) {
  return (
    <Field label="Password" required error={error}>
      {(p) => (
        <input
          {...p}
          ref={inputRef}
          type="password"
          name="password"
          autoComplete="current-password"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

export function PublicFrame({ title, wide, children }: { title: string; wide?: boolean; children: React.ReactNode }) {
  return (
    <main id="main" className="public">
      <div className={wide ? 'public-card public-card-wide' : 'public-card'}>
        <p className="brand brand-public">
          <span aria-hidden="true" className="brand-mark">
            ↻
          </span>
          ReferLoop
        </p>
        <h1 tabIndex={-1}>{title}</h1>
        {children}
      </div>
    </main>
  );
}
