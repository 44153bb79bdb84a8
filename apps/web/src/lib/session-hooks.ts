import { createContext, useContext, useSyncExternalStore } from 'react';
import { currentUser, isRestoring, isSessionHeld, restoreProblem, subscribe } from '../api/session';
import type { ReferenceData, User } from '../api/types';

/**
 * The signed-in user (null when signed out), or the one whose session ended under the open screen
 * (see useSessionHeld); re-renders on sign-in, refresh and sign-out.
 */
export function useUser(): User | null {
  return useSyncExternalStore(subscribe, currentUser);
}

/** True while the open screen's session has ended and waits for its user to sign in again. */
export function useSessionHeld(): boolean {
  return useSyncExternalStore(subscribe, isSessionHeld);
}

/** True while a new tab or a reload is getting its session back from the refresh cookie. */
export function useSessionRestoring(): boolean {
  return useSyncExternalStore(subscribe, isRestoring);
}

/** Why the session could not be restored yet (ReferLoop unreachable, a 5xx or 429), while it is being restored. */
export function useRestoreProblem(): ReturnType<typeof restoreProblem> {
  return useSyncExternalStore(subscribe, restoreProblem);
}

export const ReferenceDataContext = createContext<ReferenceData | null>(null);

/** The curated lists and the state machine (loaded once before any screen renders). */
export function useReferenceData(): ReferenceData {
  const data = useContext(ReferenceDataContext);
  if (!data) throw new Error('reference data is not loaded');
  return data;
}

/** Admin rights are a flag: a practitioner may run the clinic too. */
export const isAdmin = (user: User) => user.isAdmin;
export const isPractitioner = (user: User) => user.role === 'massage_therapist' || user.role === 'physical_therapist';
