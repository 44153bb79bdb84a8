import { type RefObject, useEffect, useRef, useState } from 'react';
import { ApiError, errorMessage } from '../api/problem';
import { useFocusAfterRender } from './focus';
import { roleLabel } from './labels';

/** A referral's join link that opens nothing any more, and what to do about it. */
export const DEAD_JOIN_LINK =
  'This referral link no longer works: it was already used, a newer one was sent, or the referral has ended. Ask the clinic that sent it for a new link.';

/**
 * Why a referral's join link was refused, for a screen with no field to mark: the link is the one
 * answer given, so the sentence says what happened to it, never "see the fields".
 */
export function joinLinkRefusal(error: unknown): string {
  if (!(error instanceof ApiError)) return errorMessage(error);
  if (error.code === 'validation_failed') return DEAD_JOIN_LINK;
  return error.message.replace(/\b(massage_therapist|physical_therapist)\b/g, (role) => roleLabel(role));
}

/**
 * The token an emailed link carries in its fragment (`/reset-password#token=…`,
 * `/accept-invitation#token=…`, `/sign-up#invitation=…`): a fragment never reaches a server, its
 * logs or a Referer. Read once, then removed from the address bar so it stays out of the history
 * and of anything that copies the URL. It is kept in the history entry's state instead, so that a
 * reload (a phone browser reloading a tab in the background) still has it; the page's success
 * navigation replaces that entry, and the token goes with it. `legacyQuery` also takes it from the
 * query string, where invitation links emailed before the fragment carried it (they are valid for days).
 */
export function takeLinkToken(name: string, options: { legacyQuery?: boolean } = {}): string | null {
  const query = new URLSearchParams(window.location.search);
  const fromLink = new URLSearchParams(window.location.hash.slice(1)).get(name) ?? (options.legacyQuery ? query.get(name) : null);
  const state = (window.history.state ?? {}) as Record<string, unknown>;
  const kept = state[stateKey(name)];
  const token = fromLink ?? (typeof kept === 'string' ? kept : null);
  if (options.legacyQuery) query.delete(name);
  const rest = query.toString();
  const search = options.legacyQuery ? (rest ? `?${rest}` : '') : window.location.search;
  if (fromLink !== null || window.location.hash || search !== window.location.search) {
    window.history.replaceState({ ...state, [stateKey(name)]: token }, '', window.location.pathname + search);
  }
  return token;
}

/** Forgets a link token the API refused (used, revoked, expired): a reload must not offer its form again. */
export function forgetLinkToken(name: string): void {
  const { [stateKey(name)]: _refused, ...rest } = (window.history.state ?? {}) as Record<string, unknown>;
  window.history.replaceState(rest, '', window.location.pathname + window.location.search);
}

/** Whether the page was opened with (or, after a reload, still holds) a link token of this name. */
export function hasLinkToken(name: string): boolean {
  const state = (window.history.state ?? {}) as Record<string, unknown>;
  return new URLSearchParams(window.location.hash.slice(1)).has(name) || typeof state[stateKey(name)] === 'string';
}

/**
 * The history state that carries a link token to another page (the join link's token through
 * sign-in and back): never in a URL, where the address bar, the history and the server would see it.
 */
export function linkTokenState(name: string, token: string): Record<string, unknown> {
  return { [stateKey(name)]: token };
}

/** A link token this history entry carries (see {@link linkTokenState}), without touching the address bar. */
export function carriedLinkToken(name: string): string | null {
  const kept = ((window.history.state ?? {}) as Record<string, unknown>)[stateKey(name)];
  return typeof kept === 'string' ? kept : null;
}

const stateKey = (name: string) => `referloop:link:${name}`;

/** A page's emailed link (`token`) and what the API said of it: `dead` once it refused the link itself. */
export interface CheckedLink<T> {
  token: string;
  /** What `check` answered, once it has. */
  checked: T | null;
  /** Used, revoked or expired: no password makes it work again. */
  dead: boolean;
  /** Where the page says so; focus goes there. */
  deadRef: RefObject<HTMLDivElement | null>;
  /** Whether `error` is the API refusing the link itself: the page then gives way to `dead`, and the caller stops. */
  refusedLink: (error: unknown) => boolean;
}

/**
 * The token of a link that sets a password (a staff invitation, a reset), asked about once when the
 * page opens (`check`): a dead link is said before anyone types a password twice. A refusal then or
 * at submit forgets the token (a reload must not offer the form again) and takes focus to what happened.
 */
export function useCheckedLink<T>(check: (token: string) => Promise<T>, options: { legacyQuery?: boolean } = {}): CheckedLink<T> {
  const [token] = useState(() => takeLinkToken('token', options) ?? '');
  const [checked, setChecked] = useState<T | null>(null);
  const [dead, setDead] = useState(false);
  const deadRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  const refusedLink = (error: unknown) => {
    if (!(error instanceof ApiError && error.fieldMessage('token'))) return false;
    forgetLinkToken('token');
    setDead(true);
    focusAfter(() => deadRef.current);
    return true;
  };
  useEffect(() => {
    if (token) check(token).then(setChecked, refusedLink);
  }, [token]);
  return { token, checked, dead, deadRef, refusedLink };
}
