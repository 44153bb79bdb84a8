/** One event of a `GET /events` stream, as a client sees it. */
export interface LiveEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

export interface LiveStreamClient {
  status: number;
  events: LiveEvent[];
  /** Everything the stream carried, byte for byte (privacy checks read it). */
  raw(): string;
  /** Resolves once the stream has ended (server closed it). */
  ended: Promise<void>;
  /** Waits for an event matching `match`, failing after `timeoutMs`. */
  next(match: (e: LiveEvent) => boolean, timeoutMs?: number): Promise<LiveEvent>;
  close(): void;
}

/**
 * Opens `GET /api/v1/events` on a listening API with fetch (as the web app does) and parses its
 * frames. `extraHeaders`: e.g. the web session's `cookie` (and an `origin`) instead of a token.
 */
export async function openLiveStream(
  baseUrl: string,
  token: string | undefined,
  lastEventId?: number,
  extraHeaders: Record<string, string> = {},
): Promise<LiveStreamClient> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream', ...extraHeaders };
  if (token) headers.authorization = `Bearer ${token}`;
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const res = await fetch(`${baseUrl}/api/v1/events`, { headers, signal: controller.signal });
  const events: LiveEvent[] = [];
  const waiters = new Set<() => void>();
  let text = '';
  let buffer = '';
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        const s = decoder.decode(chunk as Uint8Array, { stream: true });
        text += s;
        buffer += s;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(': ');
            if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
          }
          if (fields.has('event')) {
            events.push({
              id: Number(fields.get('id')),
              event: fields.get('event') ?? '',
              data: JSON.parse(fields.get('data') ?? '{}') as Record<string, unknown>,
            });
            for (const wake of waiters) wake();
          }
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  // Generous: a loaded CI machine can take seconds to relay an event; a wait that passes costs nothing.
  const next = (match: (e: LiveEvent) => boolean, timeoutMs = 15_000) =>
    new Promise<LiveEvent>((resolve, reject) => {
      const check = () => {
        const found = events.find(match);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching live event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { status: res.status, events, raw: () => text, ended, next, close: () => controller.abort() };
}
