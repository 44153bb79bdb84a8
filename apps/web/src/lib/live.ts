import { useEffect, useRef } from 'react';
import { accessToken, authFetch, subscribe as subscribeSession } from '../api/session';

/** An event of `GET /api/v1/events`: ids only; read the resource to see what changed. */
export interface LiveEvent {
  id: number;
  event: 'referral.updated' | 'notification.created' | 'message.created';
  data: { id?: string; referralId?: string; version?: number; status?: string };
}

type Listener = (event: LiveEvent) => void;

const EVENTS_PATH = '/api/v1/events';
const MIN_RETRY_MS = 2_000;
const MAX_RETRY_MS = 30_000;

const listeners = new Set<Listener>();
let connection: AbortController | null = null;
let lastEventId: number | undefined;
let retryMs = MIN_RETRY_MS;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
/** Whether events are arriving now (a stream answered and is being read). */
let streaming = false;

/**
 * One stream per tab, shared by every subscriber: opened while someone listens and a session
 * exists. Read with fetch and the access token in the Authorization header (the API would also take
 * the session's httpOnly events cookie, as an EventSource needs), so this reader sees a 401 and
 * sends `Last-Event-ID` itself: a dropped stream reconnects with it, and nothing of the last minutes
 * is missed.
 */
function connect(): void {
  if (connection || listeners.size === 0 || !accessToken()) return;
  clearTimeout(retryTimer);
  const controller = new AbortController();
  connection = controller;
  void read(controller).finally(() => {
    if (connection !== controller) return;
    connection = null;
    if (listeners.size > 0 && accessToken()) {
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
    }
  });
}

function disconnect(): void {
  clearTimeout(retryTimer);
  connection?.abort();
  connection = null;
}

async function read(controller: AbortController): Promise<void> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  let response: Response;
  try {
    response = await authFetch(new Request(EVENTS_PATH, { headers, signal: controller.signal }));
  } catch {
    return;
  }
  if (!response.ok || !response.body) return;
  retryMs = MIN_RETRY_MS;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  streaming = true;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch {
    // Aborted or dropped: connect() decides whether to come back.
  } finally {
    streaming = false;
  }
}

/** Whether live events are arriving: a screen that also polls (a fallback) need not while they are. */
export function liveStreamOpen(): boolean {
  return streaming;
}

function dispatch(frame: string): void {
  const fields = new Map<string, string>();
  for (const line of frame.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
  }
  const event = fields.get('event');
  const id = Number(fields.get('id'));
  if (!event || !Number.isSafeInteger(id)) return;
  lastEventId = id;
  let data: LiveEvent['data'];
  try {
    data = JSON.parse(fields.get('data') ?? '{}') as LiveEvent['data'];
  } catch {
    return;
  }
  const live = { id, event, data } as LiveEvent;
  for (const listener of listeners) listener(live);
}

// Signed out (or expired): close the stream; signed in again: open it for whoever listens.
subscribeSession(() => {
  if (!accessToken()) {
    disconnect();
    lastEventId = undefined;
  } else connect();
});

/** Calls `listener` for every live event of the signed-in user; returns the unsubscribe. */
export function subscribeLive(listener: Listener): () => void {
  listeners.add(listener);
  connect();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) disconnect();
  };
}

/**
 * Runs `refresh` (at most once per 200 ms burst) when an event matching `match` arrives: lists, the
 * detail page and the bell re-read what changed within a second of the other side's change.
 */
export function useLiveRefresh(match: (event: LiveEvent) => boolean, refresh: () => void): void {
  const latest = useRef({ match, refresh });
  latest.current = { match, refresh };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = subscribeLive((event) => {
      if (!latest.current.match(event) || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        latest.current.refresh();
      }, 200);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, []);
}
