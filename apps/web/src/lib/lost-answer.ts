import { useEffect, useRef } from 'react';
import { api, call } from '../api/client';
import { ApiError } from '../api/problem';
import { startSession } from '../api/session';
import type { Referral } from '../api/types';
import { navigate } from './router';

interface LostAnswerOptions<R> {
  /** The ids of what the referral holds that such a request adds to (its reports, its timeline). */
  known: (referral: Referral) => readonly string[];
  /** Whether `current` shows `request` taken: something new since `before` that it would have added. */
  shows: (current: Referral, request: R, before: ReadonlySet<string>) => boolean;
  /** A lost request found taken on a live update: the form finishes as if its answer had come. */
  onLanded: (current: Referral, request: R) => void;
}

interface Lost<R> {
  request: R;
  key: string;
  before: ReadonlySet<string>;
  typed: string;
}

/**
 * A referral form's request whose answer never came (the connection dropped on the way back) may
 * have been taken. The form remembers it, with what the referral held before, and once the referral
 * shows it taken (on a live update, or read first when it is sent again) it counts as done, instead
 * of being offered or sent a second time: the API's actions take a version, not an Idempotency-Key,
 * so a repeat at a new version would be a second report or note. What is typed in the form changed
 * since makes it another request, sent as such.
 *
 * Returns `send(request, post)`: the referral after the request, from its answer or, for a lost one
 * found taken, from a fresh read.
 */
export function useLostAnswer<R>(referral: Referral, typed: unknown, { known, shows, onLanded }: LostAnswerOptions<R>) {
  const lost = useRef<Lost<R> | null>(null);
  const taken = (current: Referral): boolean => {
    const pending = lost.current;
    return pending !== null && pending.typed === JSON.stringify(typed) && shows(current, pending.request, pending.before);
  };
  useEffect(() => {
    const pending = lost.current;
    if (pending === null || !taken(referral)) return;
    lost.current = null;
    onLanded(referral, pending.request);
  }, [referral.version]);

  return async (request: R, post: () => Promise<Referral>): Promise<Referral> => {
    const key = JSON.stringify(request);
    const before = new Set(known(referral));
    try {
      if (lost.current?.key === key) {
        const current = await call(api.GET('/api/v1/referrals/{id}', { params: { path: { id: referral.id } } }));
        if (taken(current)) {
          lost.current = null;
          return current;
        }
      }
      lost.current = null;
      return await post();
    } catch (e) {
      // Kept when the read before a repeat is lost too: the first request may still show up.
      if (e instanceof ApiError && e.status === 0) lost.current ??= { request, key, before, typed: JSON.stringify(typed) };
      throw e;
    }
  };
}

/**
 * For a form that makes an account (a sign-up, an accepted invitation) whose answer was lost and
 * which was then refused when sent again (the address taken, the link used): the first request
 * made the account, so signing in with what was typed finishes it. False when that fails too.
 */
export async function signInAfterLostAnswer(email: string, password: string): Promise<boolean> {
  const signedIn = await call(api.POST('/api/v1/auth/login', { body: { email, password } })).catch(() => null);
  if (!signedIn) return false;
  startSession(signedIn);
  navigate('/', { replace: true });
  return true;
}
