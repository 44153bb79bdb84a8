import { useEffect } from 'react';
import { api, call } from '../api/client';
import { accessToken, currentUser, onForbidden, updateUser } from '../api/session';
import { setFlash } from './flash';
import { subscribeLive } from './live';
import { navigate } from './router';

/** What the app says when admin rights disappear under an admin screen or the Clinic box. */
export const ADMIN_RIGHTS_REMOVED_NOTICE =
  'Your clinic admin rights were removed: the admin screens and the Clinic box are no longer open to you.';

let reading: Promise<void> | null = null;
/** Asked for again while a read was in flight: that read may have started before the change. */
let again = false;

/**
 * Re-reads the signed-in user (`GET /me`) and updates the session's user, so the navigation follows
 * what they may do now. At most one read is in flight; asking during it reads once more after it.
 */
export function rereadUser(): Promise<void> {
  if (reading) {
    again = true;
    return reading;
  }
  reading = (async () => {
    try {
      do {
        again = false;
        await readOnce();
      } while (again);
    } finally {
      reading = null;
    }
  })();
  return reading;
}

async function readOnce(): Promise<void> {
  const before = currentUser();
  if (!before || !accessToken()) return;
  let user: Awaited<ReturnType<typeof readMe>>;
  try {
    user = await readMe();
  } catch {
    return;
  }
  // Signed out, or someone else signed in, while it was read.
  if (!accessToken() || currentUser()?.id !== user.id) return;
  if (before.isAdmin && !user.isAdmin && onAdminScreen()) {
    // Not left on a screen whose every call now answers 403: on to their referrals, told why.
    setFlash({ tone: 'info', text: ADMIN_RIGHTS_REMOVED_NOTICE });
    navigate('/', { replace: true });
  }
  updateUser(user);
}

const readMe = () => call(api.GET('/api/v1/me'));

/** The admin screens and the inbox's Clinic box: what only a clinic admin may open. */
function onAdminScreen(): boolean {
  const { pathname, search } = window.location;
  return (
    pathname === '/admin' ||
    pathname.startsWith('/admin/') ||
    (pathname === '/' && new URLSearchParams(search).get('box') === 'clinic')
  );
}

/**
 * While someone is signed in, re-reads who they are and what they may do when it may have changed:
 * a new in-app notification arrives (an admin granting or removing their admin rights is told that
 * way; notifications are few, and reading the notification to learn its type would cost the same
 * request), an API call answers 403 `forbidden`, or the tab becomes visible again.
 */
export function useAccessChanges(active: boolean): void {
  useEffect(() => {
    if (!active) return;
    const reread = () => void rereadUser();
    const unsubscribeLive = subscribeLive((event) => {
      if (event.event === 'notification.created') reread();
    });
    const unsubscribeForbidden = onForbidden(reread);
    const onVisible = () => {
      if (document.visibilityState === 'visible') reread();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      unsubscribeLive();
      unsubscribeForbidden();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [active]);
}
