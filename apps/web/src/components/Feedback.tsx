import type { ReactNode } from 'react';
import { ApiError, errorMessage } from '../api/problem';
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
  return (
    <div className="panel panel-error" role="alert">
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

/** Under a keyset-paged list (usePagedList): "Load more" while there is a next page. */
export function LoadMore({ list }: { list: Pick<PagedList<ListPage<unknown>>, 'nextCursor' | 'loading' | 'loadMore'> }) {
  return (
    <div className="pager">
      {list.nextCursor && (
        <button type="button" className="button button-secondary" onClick={() => void list.loadMore()} disabled={list.loading}>
          {list.loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
