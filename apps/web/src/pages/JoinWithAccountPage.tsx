import { useRef, useState } from 'react';
import { api, call } from '../api/client';
import { endSession } from '../api/session';
import type { User } from '../api/types';
import { ErrorPanel, Loading, Notice } from '../components/Feedback';
import { useFocusAfterRender } from '../lib/focus';
import { useAsync, useTitle } from '../lib/hooks';
import { roleLabel } from '../lib/labels';
import { joinLinkRefusal, takeLinkToken } from '../lib/link-token';
import { Link, navigate } from '../lib/router';

/**
 * A join link opened while signed in: the colleague it was sent to may be on ReferLoop already
 * (joined before, or with another address). They take the referral into their account, or sign out
 * to create the account the link was sent for.
 */
export function JoinWithAccountPage({ user }: { user: User }) {
  useTitle('A referral sent to you');
  const [token] = useState(() => takeLinkToken('invitation'));
  const invite = useAsync(
    async () => (token ? call(api.POST('/api/v1/referral-invites/lookup', { body: { token } })) : null),
    [token],
  );
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const errorRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const take = async () => {
    if (!token) return;
    setBusy(true);
    setError(null);
    try {
      await call(api.POST('/api/v1/referral-invites/claim', { body: { token } }));
      navigate('/?box=received', { replace: true });
    } catch (e) {
      setError(e);
      setBusy(false);
      // The button was disabled while it worked, which dropped focus: on to why it failed.
      focusAfter(() => errorRef.current);
    }
  };

  // Signing out forgets the page's state: the link goes back to the sign-up page as it came (a fragment, never sent to a server).
  const signUpInstead = async () => {
    await api.POST('/api/v1/auth/logout').catch(() => undefined);
    endSession('signed_out');
    window.location.assign(`/sign-up#invitation=${encodeURIComponent(token ?? '')}`);
  };

  return (
    <>
      <h1 tabIndex={-1}>A referral sent to you</h1>
      {!token || invite.error !== undefined ? (
        invite.error !== undefined ? (
          <>
            <ErrorPanel
              error={invite.error}
              title="This link has expired or was already used"
              message={joinLinkRefusal(invite.error)}
            />
            <p>
              <Link to="/">Go to your referrals</Link>
            </p>
          </>
        ) : (
          <p>
            This page opens a referral link. <Link to="/">Go to your referrals</Link>
          </p>
        )
      ) : !invite.data ? (
        <Loading />
      ) : (
        <section className="card stack" aria-labelledby="join-heading">
          <h2 id="join-heading" className="h3">
            Sent to {invite.data.fullName}, {roleLabel(invite.data.role)}
          </h2>
          <p>
            A clinic referred a patient to {invite.data.fullName} ({invite.data.email}) on ReferLoop. You are signed in as{' '}
            {user.fullName} ({user.email}).
          </p>
          <p>If the referral is for you, take it into your referrals. If not, sign out and create the account it was sent for.</p>
          <div ref={errorRef} tabIndex={-1} className="flash-slot">
            {error !== null && <Notice tone="error">{joinLinkRefusal(error)}</Notice>}
          </div>
          <div className="actions">
            <button type="button" className="button button-primary" disabled={busy} onClick={() => void take()}>
              {busy ? 'Taking it…' : 'Take the referral'}
            </button>
            <button type="button" className="button button-secondary" disabled={busy} onClick={() => void signUpInstead()}>
              Sign out and create an account
            </button>
          </div>
        </section>
      )}
    </>
  );
}
