import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';
import { confirmLeave, hasUnsavedChanges } from './leave-guard';

// A small history router: the app has a handful of routes, no need for a routing library.
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
/** Counts navigations (links, back/forward), so following a link to the current page reloads it. */
let navigations = 0;

/**
 * Each history entry the app makes carries its place in the history (in its state, next to a link
 * token), so that the back and forward buttons can be undone while a form with unsaved changes asks
 * whether to leave: the browser has moved when it tells (popstate), by a number of entries only
 * these places give.
 */
const PLACE = 'referloop:place';
const placeOf = (state: unknown): number | undefined => {
  const place = (state as Record<string, unknown> | null)?.[PLACE];
  return typeof place === 'number' ? place : undefined;
};
const here = () => location.pathname + location.search;
let place = placeOf(history.state) ?? 0;
history.replaceState({ ...(history.state as Record<string, unknown> | null), [PLACE]: place }, '');
/** The screen's address (path and query): a move to the same one (a `#` link, the skip link) is no navigation. */
let current = here();
/** The history move that undoes the back or forward button on a form that asks first: it is not followed. */
let undoing = false;
/** The back or forward move the person chose to make after all: it is followed without asking again. */
let leaving = false;

window.addEventListener('popstate', () => {
  const at = placeOf(history.state);
  if (undoing) {
    undoing = false;
    place = at ?? place;
    return;
  }
  if (here() === current) {
    // A fragment of this screen (the skip link, or back from one): the screen and what was typed in it stay.
    if (at === undefined) history.replaceState({ ...(history.state as Record<string, unknown> | null), [PLACE]: ++place }, '');
    else place = at;
    return;
  }
  // An entry without a place (made outside the router) is taken for the one before.
  const moved = at === undefined ? -1 : at - place;
  const follow = () => {
    place = at ?? place + moved;
    current = here();
    navigations += 1;
    notify();
  };
  if (leaving || moved === 0 || !hasUnsavedChanges()) {
    leaving = false;
    follow();
    return;
  }
  // Back (or forward) from a form with unsaved changes: the address returns to it while the person is asked.
  undoing = true;
  history.go(-moved);
  confirmLeave(() => {
    leaving = true;
    history.go(moved);
  });
});

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** `state`: the new history entry's state (a link token carried to the next page, see link-token.ts). */
export function navigate(to: string, options: { replace?: boolean; state?: Record<string, unknown> } = {}): void {
  if (options.replace || to === here()) history.replaceState({ ...options.state, [PLACE]: place }, '', to);
  else history.pushState({ ...options.state, [PLACE]: ++place }, '', to);
  current = here();
  navigations += 1;
  window.scrollTo(0, 0);
  notify();
}

const snapshot = () => `${navigations} ${location.pathname}${location.search}`;

/** The current path and query, re-rendering on navigation; `key` changes with every navigation. */
export function useLocation(): { pathname: string; query: URLSearchParams; key: string } {
  const current = useSyncExternalStore(subscribe, snapshot);
  const [key, href] = current.split(' ', 2);
  const url = new URL(href, location.origin);
  return { pathname: url.pathname, query: url.searchParams, key };
}

/** Replaces the query string (filters, tabs) without adding a history entry. */
export function setQuery(values: Record<string, string | undefined>): void {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === '') params.delete(key);
    else params.set(key, value);
  }
  const search = params.toString();
  history.replaceState({ [PLACE]: place }, '', `${location.pathname}${search ? `?${search}` : ''}`);
  current = here();
  notify();
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/**
 * The second click of a double click on a link lands on the page the first one opened, under the
 * same pointer: a checkbox there (a red flag on the new-referral form) would be ticked by nobody's
 * intent. After a link is followed, the clicks that continue its multi-click (`detail` 2, 3, …)
 * are dropped; the next click that starts afresh (`detail` 1) ends the guard.
 */
function dropRestOfMultiClick(): void {
  const guard = (event: globalThis.MouseEvent) => {
    if (event.detail > 1) {
      event.preventDefault();
      event.stopPropagation();
    } else {
      window.removeEventListener('click', guard, true);
    }
  };
  window.addEventListener('click', guard, true);
}

export function Link({ to, onClick, ...props }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (event.detail > 0) dropRestOfMultiClick();
    // From a form with unsaved changes, only once the person chose to leave without saving.
    confirmLeave(() => navigate(to));
  };
  return <a href={to} onClick={handle} {...props} />;
}
