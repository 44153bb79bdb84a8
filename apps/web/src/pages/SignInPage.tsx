import { type FormEvent, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import { lastEndReason, startSession } from '../api/session';
import { Field } from '../components/Field';
import { Notice } from '../components/Feedback';
import { useTitle } from '../lib/hooks';
import { Link, navigate, useLocation } from '../lib/router';

/** Only same-app paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignInPage() {
  useTitle('Sign in');
  const { query } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const reason = lastEndReason();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      startSession(await call(api.POST('/api/v1/auth/login', { body: { email: email.trim(), password } })));
      navigate(safeNext(query.get('next')), { replace: true });
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <PublicFrame title="Sign in">
      {reason === 'expired' && !error && <Notice tone="info">Your session ended. Sign in again to carry on.</Notice>}
      {reason === 'signed_out' && !error && <Notice tone="success">You are signed out.</Notice>}
      {error !== null && (
        <Notice tone="error">
          {error instanceof ApiError && error.code === 'unauthenticated'
            ? 'That email and password do not match.'
            : errorMessage(error)}
        </Notice>
      )}
      <form onSubmit={(event) => void submit(event)} className="stack" noValidate>
        <Field label="Email" required>
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
        <Field label="Password" required>
          {(p) => (
            <input
              {...p}
              type="password"
              name="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
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
