import { type RefObject, useState } from 'react';
import { useFocusAfterRender } from './focus';

/** Every item of a keyset-paged list, oldest first: `page` reads the page after `cursor` (the first without one). */
export async function everyPage<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const answer = await page(cursor);
    items.push(...answer.items);
    cursor = answer.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/**
 * The items of `whole` (loaded once) before the window `latest` that the referral answers now: the
 * referral may have moved on since, and its window with it.
 */
export function earlierThan<T extends { id: string }>(whole: T[], latest: T[]): T[] {
  const start = whole.findIndex((item) => item.id === latest[0]?.id);
  if (start >= 0) return whole.slice(0, start);
  const inWindow = new Set(latest.map((item) => item.id));
  return whole.filter((item) => !inWindow.has(item.id));
}

/**
 * A list of which a referral's answer embeds only the latest items (`truncated`: earlier ones
 * exist), with a "show earlier" that loads the whole list once (`load`) and then moves focus to
 * `list`, as the button that had it goes. `items` is what to show: the earlier ones, then `latest`.
 */
export function useEarlierItems<T extends { id: string }>(
  latest: T[],
  truncated: boolean,
  load: () => Promise<T[]>,
  list: RefObject<HTMLElement | null>,
): { items: T[]; complete: boolean; loading: boolean; loadError: unknown; showEarlier: () => Promise<void> } {
  const [whole, setWhole] = useState<T[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<unknown>(null);
  const focusAfter = useFocusAfterRender();
  const showEarlier = async () => {
    if (loading) return;
    setLoading(true);
    setLoadError(null);
    try {
      setWhole(await load());
      focusAfter(() => list.current);
    } catch (error) {
      setLoadError(error);
    } finally {
      setLoading(false);
    }
  };
  return {
    items: whole === null ? latest : [...earlierThan(whole, latest), ...latest],
    complete: !truncated || whole !== null,
    loading,
    loadError,
    showEarlier,
  };
}
