import { useEffect, useLayoutEffect, useRef, useSyncExternalStore } from 'react';

/**
 * Leaving a form with unsaved changes asks first. A form says whether it holds changes that are not
 * saved ({@link useLeaveGuard}); the router asks before following a link or the back and forward
 * buttons ({@link confirmLeave}), through the one {@link LeaveGuardDialog} the app renders; a reload
 * or closing the tab gets the browser's own prompt. What was typed stays in the page's memory only:
 * it is patient health information, never put in storage or in the address.
 */

/** One per mounted form: whether it holds unsaved changes now. */
const guards = new Set<{ current: boolean }>();

/** True while a mounted form holds changes that are not saved. */
export const hasUnsavedChanges = (): boolean => [...guards].some((guard) => guard.current);

interface PendingLeave {
  leave: () => void;
  stay?: () => void;
}

let pending: PendingLeave | null = null;
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Runs `leave` at once when no form holds unsaved changes; else asks first, and runs `leave` only
 * if the person chooses to leave without saving (`stay` if they stay). A second request while one
 * is asked is the same question: it is dropped (its `stay` runs).
 */
export function confirmLeave(leave: () => void, stay?: () => void): void {
  if (!hasUnsavedChanges()) {
    leave();
    return;
  }
  if (pending) {
    stay?.();
    return;
  }
  pending = { leave, stay };
  notify();
}

/** The answer to the question asked (see {@link confirmLeave}): leave without saving, or stay. */
export function answerLeave(leave: boolean): void {
  const asked = pending;
  pending = null;
  notify();
  if (leave) asked?.leave();
  else asked?.stay?.();
}

/** True while the app asks whether to leave a form with unsaved changes. */
export function useLeaveAsked(): boolean {
  return useSyncExternalStore(subscribe, () => pending !== null);
}

/**
 * Guards a form while `dirty` (it holds changes not yet saved or sent): links, the back and forward
 * buttons ask first, and a reload or closing the tab gets the browser's prompt. Once the form is
 * saved (`dirty` false again) or gone, nothing is asked.
 */
export function useLeaveGuard(dirty: boolean): void {
  const guard = useRef(dirty);
  useLayoutEffect(() => {
    guard.current = dirty;
  }, [dirty]);
  useEffect(() => {
    const mine = guard;
    guards.add(mine);
    return () => {
      guards.delete(mine);
    };
  }, []);
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show their prompt only when returnValue is set.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);
}
