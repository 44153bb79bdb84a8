import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (data: T) => void;
}

/** Runs a loader when `deps` change; the latest call wins, earlier answers are dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const generation = useRef(0);
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await run();
      if (mine === generation.current) setState({ data, error: undefined, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, [run]);
  useEffect(() => {
    void reload();
  }, [reload]);
  const setData = useCallback((data: T) => setState({ data, error: undefined, loading: false }), []);
  return { ...state, reload, setData };
}

/** One page of a keyset-paged list, as the API answers it (plus whatever else the page carries). */
export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PagedList<P extends ListPage<unknown>> {
  /** Null until the first page arrives. */
  items: P['items'] | null;
  /** The latest page's whole answer, for what a page carries besides its items. */
  last: P | null;
  nextCursor: string | null;
  loading: boolean;
  error: unknown;
  reload: () => Promise<void>;
  loadMore: () => Promise<void>;
}

/**
 * A keyset-paged list: its first page whenever `fetchPage` changes (give it a useCallback with the
 * filters as deps), more pages on `loadMore`. The latest load wins: an answer that arrives after a
 * newer load began (another box, another filter) is dropped, so it never replaces the list shown.
 * When the first page for new filters fails, the list of the previous filters is not shown under
 * the error (as if it matched them), nor continued by `loadMore`.
 */
export function usePagedList<P extends ListPage<unknown>>(fetchPage: (cursor?: string) => Promise<P>): PagedList<P> {
  const [state, setState] = useState<{
    items: P['items'] | null;
    last: P | null;
    loading: boolean;
    error: unknown;
    /** The `fetchPage` whose pages `items` holds. */
    source: ((cursor?: string) => Promise<P>) | null;
  }>({
    items: null,
    last: null,
    loading: true,
    error: null,
    source: null,
  });
  const generation = useRef(0);
  const run = useCallback(
    async (cursor?: string) => {
      // A first page starts a new generation; a next page belongs to the current one.
      const mine = cursor === undefined ? ++generation.current : generation.current;
      setState((s) => ({ ...s, loading: true }));
      try {
        const page = await fetchPage(cursor);
        if (mine !== generation.current) return;
        setState((s) => ({
          items: cursor !== undefined && s.items ? [...s.items, ...page.items] : page.items,
          last: page,
          loading: false,
          error: null,
          source: fetchPage,
        }));
      } catch (error) {
        if (mine === generation.current) setState((s) => ({ ...s, loading: false, error }));
      }
    },
    [fetchPage],
  );
  useEffect(() => {
    void run();
  }, [run]);
  const current = state.error === null || state.source === fetchPage;
  const items = current ? state.items : null;
  const last = current ? state.last : null;
  const nextCursor = last?.nextCursor ?? null;
  const reload = useCallback(() => run(), [run]);
  const loadMore = useCallback(() => (nextCursor ? run(nextCursor) : Promise.resolve()), [run, nextCursor]);
  return { items, last, loading: state.loading, error: state.error, nextCursor, reload, loadMore };
}

/** Sets the document title for a screen. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · ReferLoop`;
  }, [title]);
}

export interface IdempotencyKeys {
  /** The key for sending `body`: the same body sent again (a retry after a lost answer) keeps its key. */
  keyFor: (body: unknown) => string;
  /** After a success: the same body sent again is a new request (e.g. the message "ok" twice). */
  done: () => void;
}

/** An `Idempotency-Key` per body a form creates with, so that a retry creates it once. */
export function useIdempotencyKeys(): IdempotencyKeys {
  const last = useRef<{ key: string; body: string } | null>(null);
  return {
    keyFor: (body) => {
      const serialized = JSON.stringify(body);
      if (last.current?.body !== serialized) last.current = { key: crypto.randomUUID(), body: serialized };
      return last.current.key;
    },
    done: () => {
      last.current = null;
    },
  };
}
