import { ApiError } from './problem';
import type { components } from './schema';

export type User = components['schemas']['UserResponseDto'];
type Tokens = components['schemas']['TokensDto'];

interface Session {
  accessToken: string;
  /** Epoch ms when the access token stops working. */
  accessExpiresAt: number;
  user: User;
}

/** Why the session ended, shown on the sign-in screen. */
export type EndReason = 'signed_out' | 'expired' | 'deactivated';

/**
 * The session lives in two halves: the short-lived access token in this page's memory only, and
 * the refresh token in an httpOnly cookie (Path=/api/v1/auth) that page scripts cannot read. A new
 * tab or a reload gets its access token by refreshing with the cookie; this header asks the API
 * for the cookie instead of a refresh token in the body.
 */
const WEB_CLIENT_HEADERS = { 'x-referloop-client': 'web' } as const;
const REFRESH_PATH = '/api/v1/auth/refresh';
/** Every tab's refreshes take turns under this lock (see refreshSession). */
const REFRESH_LOCK = 'referloop.refresh';
/**
 * The Idempotency-Key of a refresh not yet answered, kept across reloads and shared by the tabs: the
 * next attempt (a retry, a reloaded page, another tab) sends it again, so the API takes the rotated
 * cookie of a lost answer for a retry, not for a stolen token.
 */
const PENDING_REFRESH_KEY = 'referloop.retryKey';
/** The pending key where storage is disabled (this page only). */
let memoryRefreshKey: string | undefined;

function pendingRefreshKey(): string {
  try {
    const pending = localStorage.getItem(PENDING_REFRESH_KEY);
    if (pending) return pending;
    const key = randomKey();
    localStorage.setItem(PENDING_REFRESH_KEY, key);
    return key;
  } catch {
    // Storage disabled: a retry from this page still sends the same key; a reload cannot.
    return (memoryRefreshKey ??= randomKey());
  }
}

/** 128 random bits in hex (crypto.randomUUID is missing on plain-http hosts other than loopback). */
function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function refreshAnswered(): void {
  memoryRefreshKey = undefined;
  try {
    localStorage.removeItem(PENDING_REFRESH_KEY);
  } catch {
    // Storage disabled: nothing was kept there.
  }
}
/** Tells the other tabs that this one signed out. */
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('referloop.session') : null;

/**
 * Set while this browser holds a session (its value is "1", nothing secret): a visit without it
 * does not ask the API for a session it cannot have (every signed-out page load got a 400).
 */
const SESSION_HINT = 'referloop.signedIn';

function setHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(SESSION_HINT, '1');
    else localStorage.removeItem(SESSION_HINT);
  } catch {
    // Storage disabled: every load asks, as before.
  }
}

function hasHint(): boolean {
  try {
    return localStorage.getItem(SESSION_HINT) === '1';
  } catch {
    return true;
  }
}

let session: Session | null = null;
/** True until the first refresh after loading has answered: screens wait instead of showing sign-in. */
let restoring = true;
let endReason: EndReason | null = null;
/**
 * The user of a session that ended under an open screen (signed out everywhere from another device,
 * a password change, the session's age): the screen stays, with what was typed in it, until that
 * user signs in again or leaves it (see {@link isSessionHeld}).
 */
let held: User | null = null;
/**
 * Why the last attempt to get the session back failed while restoring (ReferLoop unreachable, a 5xx,
 * a 429): the screen says so instead of loading without a word, and offers to try again.
 */
let restoreTrouble: ApiError | null = null;
/**
 * Why the last refresh did not get through while the session lives on (its answer, a 5xx or 429, or
 * 'network'): a request whose token expired meanwhile is answered with that, not with its own 401,
 * so the person is told to wait or check the connection rather than that their token is bad.
 */
let refreshTrouble: Response | 'network' | null = null;
let refreshing: Promise<boolean> | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function set(next: Session | null): void {
  session = next;
  restoreTrouble = null;
  scheduleRefresh();
  notify();
}

function notify(): void {
  for (const listener of listeners) listener();
}

/** A failed attempt to restore the session, told to the screen (see {@link restoreProblem}); later attempts go on. */
function troubleRestoring(error: ApiError): void {
  if (!restoring) return;
  restoreTrouble = error;
  notify();
}

/** Refresh ahead of expiry, so requests rarely meet an expired token (a 401 still refreshes once). */
function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  if (!session) return;
  const lifetime = Math.max(0, session.accessExpiresAt - Date.now());
  const margin = Math.min(60_000, lifetime / 4);
  refreshTimer = setTimeout(() => void refreshSession().catch(() => undefined), Math.max(1_000, lifetime - margin));
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whose screens these are: the signed-in user, or the one whose session ended under them. */
export const currentUser = (): User | null => session?.user ?? held;
/** True while the screen belongs to a session that ended: it waits for its user to sign in again. */
export const isSessionHeld = (): boolean => session === null && held !== null;
export const isRestoring = (): boolean => restoring;
/** Why the session could not be restored yet (null while it is on its way or restored). */
export const restoreProblem = (): ApiError | null => restoreTrouble;
export const accessToken = (): string | null => session?.accessToken ?? null;
export const lastEndReason = (): EndReason | null => endReason;

export function startSession(tokens: Tokens): void {
  endReason = null;
  held = null;
  restoring = false;
  setHint(true);
  set({ accessToken: tokens.accessToken, accessExpiresAt: Date.now() + tokens.expiresIn * 1000, user: tokens.user });
}

export function updateUser(user: User): void {
  if (session) set({ ...session, user });
}

export function endSession(reason: EndReason, { broadcast = true } = {}): void {
  endReason = reason;
  // Signing out on purpose (here or in another tab) leaves the screen; a session that ended under it
  // does not (its user's email, which the prompt signs in with, is always in their own answer).
  const ended = session?.user ?? held;
  held = reason === 'expired' && ended?.email !== undefined ? ended : null;
  restoring = false;
  setHint(false);
  if (broadcast && reason === 'signed_out') channel?.postMessage('signed_out');
  set(null);
}

/** Leaves the screen of an ended session (someone else is to sign in): on to the sign-in page. */
export function releaseHeldSession(): void {
  held = null;
  set(null);
}

channel?.addEventListener('message', (event) => {
  if (event.data === 'signed_out' && session) endSession('signed_out', { broadcast: false });
});

/**
 * Gets a new access token with the refresh cookie (which the API rotates). Resolves false when
 * there is no session (the user must sign in).
 *
 * Two tabs refreshing at once would present the same cookie twice, and the API takes a rotated
 * token presented again for a stolen one and revokes the session. So refreshes take turns across
 * tabs under a Web Lock: a tab that waited refreshes with the cookie the previous one left (the
 * browser stores a Set-Cookie before fetch resolves). Within a tab, concurrent callers share one
 * attempt. Without Web Locks (old browsers, plain-http hosts other than loopback) only the latter holds.
 * An answer that never arrives (a reload mid-refresh, a dropped connection) leaves the rotated
 * cookie in place; the next attempt sends it with the same Idempotency-Key (PENDING_REFRESH_KEY),
 * which the API takes for a retry instead of revoking the session.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const hadSession = session !== null;
    try {
      let response: Response;
      try {
        // The key is read, and cleared once answered, under the lock: the tabs agree on it.
        const post = async () => {
          const answer = await fetch(REFRESH_PATH, {
            method: 'POST',
            credentials: 'same-origin',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json',
              'idempotency-key': pendingRefreshKey(),
              ...WEB_CLIENT_HEADERS,
            },
            body: '{}',
          });
          // Answered (a 5xx too: nothing was rotated): the next refresh is a new one.
          refreshAnswered();
          return answer;
        };
        response = navigator.locks ? await navigator.locks.request(REFRESH_LOCK, post) : await post();
      } catch (error) {
        // Offline: keep the session (or keep restoring it) and try again later, with the same key.
        refreshTrouble = 'network';
        scheduleRetry();
        troubleRestoring(ApiError.network(error));
        return false;
      }
      refreshTrouble = null;
      if (response.ok) {
        startSession((await response.json()) as Tokens);
        return true;
      }
      if (response.status === 400 || response.status === 401 || response.status === 403) {
        // No cookie (400), an ended session (401) or a refused Origin (403). On a fresh load that is simply "not signed in",
        // unless the account was deactivated: then that is said, and no password is asked for.
        const reason =
          response.status === 401
            ? await response.json().then(
                (body: { reason?: unknown } | null) => body?.reason,
                () => undefined,
              )
            : undefined;
        if (reason === 'deactivated') endSession('deactivated');
        else if (hadSession) endSession('expired');
        else {
          restoring = false;
          setHint(false);
          set(null);
        }
        return false;
      }
      refreshTrouble = response.clone();
      scheduleRetry();
      troubleRestoring(ApiError.fromBody(response.status, await response.json().catch(() => null)));
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function scheduleRetry(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refreshSession(), 15_000);
}

const forbiddenListeners = new Set<() => void>();

/**
 * Calls `listener` whenever an API call answers 403 `forbidden`: what the signed-in user may do
 * changed under the open screen (their admin rights were removed), or they asked for something
 * that was never theirs. Returns the unsubscribe.
 */
export function onForbidden(listener: () => void): () => void {
  forbiddenListeners.add(listener);
  return () => forbiddenListeners.delete(listener);
}

function noticeForbidden(response: Response): void {
  if (response.status !== 403 || forbiddenListeners.size === 0) return;
  // A copy: the caller reads the answer itself.
  response
    .clone()
    .json()
    .then(
      (body: unknown) => {
        if ((body as { code?: unknown } | null)?.code !== 'forbidden') return;
        for (const listener of forbiddenListeners) listener();
      },
      () => undefined,
    );
}

/**
 * fetch with the bearer token; on 401, refreshes once and retries once. Used by the typed client
 * and for downloads. A 403 `forbidden` is told to {@link onForbidden}'s listeners.
 */
export async function authFetch(input: Request): Promise<Response> {
  const response = await fetchWithRefresh(input);
  noticeForbidden(response);
  return response;
}

async function fetchWithRefresh(input: Request): Promise<Response> {
  const retry = input.clone();
  const sentWith = accessToken();
  const response = await fetch(withHeaders(input, sentWith));
  if (response.status !== 401 || !session || input.url.endsWith(REFRESH_PATH)) return response;
  // Another request may already have refreshed while this one was in flight.
  const current = accessToken();
  const refreshed = current !== null && current !== sentWith ? true : await refreshSession();
  if (!refreshed) {
    // Still signed in, but the refresh did not get through: its reason is this request's.
    const trouble = session ? refreshTrouble : null;
    if (trouble === 'network') throw new TypeError('The session could not be refreshed: network error');
    return trouble ? trouble.clone() : response;
  }
  return fetch(withHeaders(retry, accessToken()));
}

function withHeaders(request: Request, token: string | null): Request {
  for (const [name, value] of Object.entries(WEB_CLIENT_HEADERS)) request.headers.set(name, value);
  if (token) request.headers.set('authorization', `Bearer ${token}`);
  return request;
}

// Earlier versions kept the refresh token in sessionStorage: remove what a tab may still hold.
try {
  sessionStorage.removeItem('referloop.session');
} catch {
  // Storage disabled: nothing was kept there either.
}
// A new tab or a reload: the cookie brings the session back, if this browser had one.
if (hasHint()) void refreshSession();
else restoring = false;
