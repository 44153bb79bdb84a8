import { type ReactNode, useLayoutEffect, useRef } from 'react';
import { ApiError, errorMessage } from '../api/problem';
import { screenHeading, useFocusAfterRender } from '../lib/focus';
import type { ListPage, PagedList } from '../lib/hooks';

/**
 * A failed load or action, announced to screen readers, with a way to try again. `message` says it
 * in the screen's own words instead of the error's (e.g. a refusal naming a field no screen shows).
 */
export function ErrorPanel({
  error,
  title,
  message,
  onRetry,
}: {
  error: unknown;
  title?: string;
  message?: string;
  onRetry?: () => void;
}) {
  const missing = error instanceof ApiError && error.status === 404 && error.code === 'not_found';
  const panel = useRef<HTMLDivElement>(null);
  // "Try again" (or a change elsewhere) replaces the panel with what loads: focus in it would fall
  // to <body>, so it goes to the screen's heading, where a screen's focus starts.
  useLayoutEffect(() => {
    const element = panel.current;
    return () => {
      if (!element?.contains(document.activeElement)) return;
      requestAnimationFrame(() => {
        if (!document.activeElement || document.activeElement === document.body) screenHeading()?.focus();
      });
    };
  }, []);
  return (
    <div ref={panel} className="panel panel-error" role="alert">
      <p className="panel-title">{title ?? 'Something went wrong'}</p>
      <p>{message ?? (missing && !title ? 'This is not available.' : errorMessage(error))}</p>
      {onRetry && (
        <button type="button" className="button button-secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Notice({
  tone,
  children,
  role,
}: {
  tone: 'success' | 'error' | 'info' | 'warning';
  children: ReactNode;
  role?: 'status' | 'alert';
}) {
  return (
    <div className={`panel panel-${tone}`} role={role ?? (tone === 'error' ? 'alert' : 'status')}>
      {children}
    </div>
  );
}

/** A placeholder of fixed height while data loads, so the page does not jump when it arrives. */
export function Loading({ label = 'Loading…', lines = 3 }: { label?: string; lines?: number }) {
  return (
    <div className="loading" role="status" aria-live="polite" style={{ minHeight: `${lines * 1.75}rem` }}>
      <span className="visually-hidden">{label}</span>
      {Array.from({ length: lines }, (_, i) => (
        <span key={i} className="skeleton" aria-hidden="true" />
      ))}
    </div>
  );
}

/** Links and buttons: what keyboard focus can land on in a list's items. */
const ITEM_CONTROLS = 'a[href], button';

/**
 * Under a keyset-paged list (usePagedList): "Load more" while there is a next page. It comes right
 * after the list's element; once the page is in, focus goes to the first link or button of the items
 * it brought (else back to the button), not to <body>: the button is gone after the last page.
 */
export function LoadMore({ list }: { list: Pick<PagedList<ListPage<unknown>>, 'nextCursor' | 'loading' | 'loadMore'> }) {
  const pager = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  const more = async () => {
    if (list.loading) return;
    const items = pager.current?.previousElementSibling;
    const before = new Set(items?.querySelectorAll(ITEM_CONTROLS));
    await list.loadMore();
    focusAfter(
      () =>
        [...(items?.querySelectorAll(ITEM_CONTROLS) ?? [])].find((control) => !before.has(control)) ??
        pager.current?.querySelector('button'),
    );
  };
  return (
    <div ref={pager} className="pager">
      {list.nextCursor && (
        // aria-disabled, not disabled, while loading: a disabled button loses keyboard focus to <body>.
        <button type="button" className="button button-secondary" onClick={() => void more()} aria-disabled={list.loading}>
          {list.loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
