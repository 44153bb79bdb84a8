import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

// A small history router: the app has a handful of routes, no need for a routing library.
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
/** Counts navigations (links, back/forward), so following a link to the current page reloads it. */
let navigations = 0;
window.addEventListener('popstate', () => {
  navigations += 1;
  notify();
});

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** `state`: the new history entry's state (a link token carried to the next page, see link-token.ts). */
export function navigate(to: string, options: { replace?: boolean; state?: Record<string, unknown> } = {}): void {
  const state = options.state ?? null;
  if (options.replace || to === location.pathname + location.search) history.replaceState(state, '', to);
  else history.pushState(state, '', to);
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
  history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
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
    navigate(to);
  };
  return <a href={to} onClick={handle} {...props} />;
}
