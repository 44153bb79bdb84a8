import type { components } from './schema';

export type User = components['schemas']['UserResponseDto'];
type Tokens = components['schemas']['TokensDto'];

interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token stops working. */
  accessExpiresAt: number;
  user: User;
}

/** Why the session ended, shown on the sign-in screen. */
export type EndReason = 'signed_out' | 'expired';

// Tokens live in memory and in sessionStorage (this tab only, gone when it closes), never in localStorage.
const STORAGE_KEY = 'referloop.session';
const REFRESH_PATH = '/api/v1/auth/refresh';

let session: Session | null = load();
let endReason: EndReason | null = null;
let refreshing: Promise<boolean> | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function load(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    const parsed = raw ? (JSON.parse(raw) as Session) : null;
    return parsed && typeof parsed.refreshToken === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

function save(next: Session | null): void {
  session = next;
  try {
    if (next) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Private mode without storage: the session lives in memory only.
  }
  scheduleRefresh();
  for (const listener of listeners) listener();
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

export const currentUser = (): User | null => session?.user ?? null;
export const accessToken = (): string | null => session?.accessToken ?? null;
export const lastEndReason = (): EndReason | null => endReason;

export function startSession(tokens: Tokens): void {
  endReason = null;
  save({
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: Date.now() + tokens.expiresIn * 1000,
    user: tokens.user,
  });
}

export function updateUser(user: User): void {
  if (session) save({ ...session, user });
}

export function endSession(reason: EndReason): void {
  endReason = reason;
  save(null);
}

/**
 * Rotates the refresh token. One refresh at a time: the API revokes the whole session when a
 * rotated refresh token is used twice, so concurrent callers share the same attempt.
 * Resolves false when the session is over (the user must sign in again).
 */
export function refreshSession(): Promise<boolean> {
  if (!session) return Promise.resolve(false);
  refreshing ??= (async () => {
    const refreshToken = session.refreshToken;
    try {
      let response: Response;
      try {
        response = await fetch(REFRESH_PATH, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ refreshToken }),
        });
      } catch {
        // Offline: keep the session and try again later.
        scheduleRetry();
        return false;
      }
      if (response.ok) {
        startSession((await response.json()) as Tokens);
        return true;
      }
      if (response.status === 401 || response.status === 400) {
        // Only end the session if nobody rotated it meanwhile (another refresh in this tab).
        if (session?.refreshToken === refreshToken) endSession('expired');
        return false;
      }
      scheduleRetry();
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

/**
 * fetch with the bearer token; on 401, refreshes once and retries once. Used by the typed client
 * and for downloads.
 */
export async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const sentWith = accessToken();
  const response = await fetch(withToken(input, sentWith));
  if (response.status !== 401 || !session || input.url.endsWith(REFRESH_PATH)) return response;
  // Another request may already have refreshed while this one was in flight.
  const current = accessToken();
  const refreshed = current !== null && current !== sentWith ? true : await refreshSession();
  if (!refreshed) return response;
  return fetch(withToken(retry, accessToken()));
}

function withToken(request: Request, token: string | null): Request {
  if (token) request.headers.set('authorization', `Bearer ${token}`);
  return request;
}

scheduleRefresh();
