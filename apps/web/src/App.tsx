import { Fragment, useEffect, useRef } from 'react';
import { api, call } from './api/client';
import { refreshSession } from './api/session';
import type { ReferenceData } from './api/types';
import { ErrorPanel, Loading } from './components/Feedback';
import { Layout } from './components/Layout';
import { LeaveGuardDialog } from './components/LeaveGuardDialog';
import { ResumeSession } from './components/ResumeSession';
import { rereadUser, useAccessChanges } from './lib/access';
import { focusScreenHeading } from './lib/focus';
import { useAsync, useTitle } from './lib/hooks';
import { hasLinkToken } from './lib/link-token';
import { Link, navigate, useLocation } from './lib/router';
import {
  isAdmin,
  ReferenceDataContext,
  useRestoreProblem,
  useSessionHeld,
  useSessionRestoring,
  useUser,
} from './lib/session-hooks';
import { AcceptInvitationPage } from './pages/AcceptInvitationPage';
import { JoinWithAccountPage } from './pages/JoinWithAccountPage';
import { AuditLogPage } from './pages/admin/AuditLogPage';
import { DashboardPage } from './pages/admin/DashboardPage';
import { EMAIL_PREVIEW_PATH, EmailPreviewPage } from './pages/admin/EmailPreviewPage';
import { FailedNotificationsPage } from './pages/admin/FailedNotificationsPage';
import { OverduePage } from './pages/admin/OverduePage';
import { PARTNERS_PATH, PartnersPage } from './pages/admin/PartnersPage';
import { PractitionersPage } from './pages/admin/PractitionersPage';
import { UnownedReferralsPage } from './pages/admin/UnownedReferralsPage';
import { WEBHOOKS_PATH, WebhooksPage } from './pages/admin/WebhooksPage';
import { ForgotPasswordPage } from './pages/account/ForgotPasswordPage';
import { PROFILE_PATH, ProfilePage } from './pages/account/ProfilePage';
import { ResetPasswordPage } from './pages/account/ResetPasswordPage';
import { SECURITY_PATH, SecurityPage } from './pages/account/SecurityPage';
import { InboxPage } from './pages/InboxPage';
import { PATIENTS_PATH, PatientsPage } from './pages/PatientsPage';
import { NewReferralPage } from './pages/NewReferralPage';
import { ReferralDetailPage } from './pages/ReferralDetailPage';
import { SignInPage } from './pages/SignInPage';
import { SignUpPage } from './pages/SignUpPage';

/** Screens for signed-out people, whether or not a session exists. */
const PUBLIC_SCREENS: Record<string, () => React.JSX.Element> = {
  '/accept-invitation': AcceptInvitationPage,
  '/forgot-password': ForgotPasswordPage,
  '/reset-password': ResetPasswordPage,
};

const REFERRAL_PATH = /^\/referrals\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function App() {
  const { pathname, key } = useLocation();
  const user = useUser();
  const restoring = useSessionRestoring();
  const restoreProblem = useRestoreProblem();
  // The session ended under the open screen: it stays, behind a prompt to sign in again.
  const held = useSessionHeld();
  const reference = useAsync(
    // Public and static: GET /reference-data is not described in the OpenAPI document, hence the cast.
    async () => (await call(api.GET('/api/v1/reference-data'))) as unknown as ReferenceData,
    [],
  );
  const firstRender = useRef(true);

  // Move focus to the new screen's heading, so keyboard and screen-reader users start there; again
  // when the screen's heading appears only once its data has loaded (a referral).
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    return focusScreenHeading();
  }, [key]);

  const publicRoute = pathname === '/sign-in' || pathname === '/sign-up' || Object.hasOwn(PUBLIC_SCREENS, pathname);
  useEffect(() => {
    if (restoring) return;
    if (!user && !publicRoute)
      navigate(`/sign-in${pathname === '/' ? '' : `?next=${encodeURIComponent(pathname + location.search)}`}`, { replace: true });
    // A join link opened while signed in stays: its page offers to take the referral with this account.
    if (user && (pathname === '/sign-in' || (pathname === '/sign-up' && !hasLinkToken('invitation'))))
      navigate('/', { replace: true });
  }, [restoring, user, publicRoute, pathname]);

  // Re-read the signed-in user once (name, clinic, role may have changed since sign-in), and again
  // whenever what they may do may have changed (see useAccessChanges).
  const userId = held ? undefined : user?.id;
  useEffect(() => {
    if (userId) void rereadUser();
  }, [userId]);
  useAccessChanges(userId !== undefined);

  const Public = Object.hasOwn(PUBLIC_SCREENS, pathname) ? PUBLIC_SCREENS[pathname] : undefined;
  if (Public) return <Public />;
  if (restoring) {
    return (
      <main id="main" className="main">
        {restoreProblem ? (
          // Tried again by itself every few seconds too (see refreshSession).
          <>
            <h1>ReferLoop</h1>
            <ErrorPanel error={restoreProblem} title="Your session could not be opened" onRetry={() => void refreshSession()} />
          </>
        ) : (
          <Loading label="Opening your session" lines={6} />
        )}
      </main>
    );
  }
  if (!user) {
    if (pathname === '/sign-in') return <SignInPage />;
    // The sign-up form asks before what was typed in it is left (its links, Back and Forward).
    if (pathname === '/sign-up')
      return (
        <>
          <SignUpPage />
          <LeaveGuardDialog />
        </>
      );
    return null;
  }

  if (reference.error !== undefined && !reference.data) {
    return (
      <main id="main" className="main">
        <h1>ReferLoop</h1>
        <ErrorPanel error={reference.error} title="ReferLoop could not start" onRetry={() => void reference.reload()} />
      </main>
    );
  }
  if (!reference.data) {
    return (
      <main id="main" className="main">
        <Loading label="Starting ReferLoop" lines={6} />
      </main>
    );
  }

  return (
    <ReferenceDataContext.Provider value={reference.data}>
      {/* A new key per navigation: following a link to the screen you are on reloads it. */}
      <Layout user={user}>
        <Fragment key={key}>{screen(pathname, user)}</Fragment>
      </Layout>
      <LeaveGuardDialog />
      {held && user.email !== undefined && <ResumeSession user={{ ...user, email: user.email }} />}
    </ReferenceDataContext.Provider>
  );
}

function screen(pathname: string, user: NonNullable<ReturnType<typeof useUser>>) {
  if (pathname === '/') return <InboxPage />;
  if (pathname === '/referrals/new') return <NewReferralPage />;
  if (pathname === '/sign-up') return <JoinWithAccountPage user={user} />;
  if (pathname === SECURITY_PATH) return <SecurityPage />;
  if (pathname === PROFILE_PATH) return <ProfilePage />;
  if (pathname === PATIENTS_PATH) return <PatientsPage />;
  const referral = REFERRAL_PATH.exec(pathname);
  if (referral) return <ReferralDetailPage key={referral[1]} id={referral[1]} />;
  if (pathname.startsWith('/admin')) {
    if (!isAdmin(user)) return <NotFound message="The admin screens are for clinic admins." />;
    switch (pathname.replace(/\/$/, '')) {
      case '/admin':
        return <DashboardPage />;
      case '/admin/overdue':
        return <OverduePage />;
      case '/admin/practitioners':
        return <PractitionersPage user={user} />;
      case PARTNERS_PATH:
        return <PartnersPage />;
      case '/admin/unowned':
        return <UnownedReferralsPage user={user} />;
      case '/admin/notifications':
        return <FailedNotificationsPage />;
      case WEBHOOKS_PATH:
        return <WebhooksPage />;
      case EMAIL_PREVIEW_PATH:
        return <EmailPreviewPage />;
      case '/admin/audit':
        return <AuditLogPage user={user} />;
    }
  }
  return <NotFound />;
}

function NotFound({ message }: { message?: string }) {
  useTitle(message ? 'Not available' : 'Page not found');
  return (
    <>
      <h1 tabIndex={-1}>{message ? 'Not available' : 'Page not found'}</h1>
      <p>{message ?? 'There is nothing at this address.'}</p>
      <Link to="/">Go to your referrals</Link>
    </>
  );
}
