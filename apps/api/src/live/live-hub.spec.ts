import { setTimeout as delay } from 'node:timers/promises';
import type { Principal } from '@referloop/common';
import { LiveHub, liveFrame, MAX_CONCURRENT_CATCH_UPS, MAX_STREAMS_PER_USER, mayHear, type LiveSink } from './live-hub';
import type { LiveEventRow, LiveRead, LiveStore } from './live.store';

const SENDER = '00000000-0000-4000-8000-000000000001';
const RECIPIENT = '00000000-0000-4000-8000-000000000002';
const SENDER_CLINIC = '00000000-0000-4000-8000-0000000000c1';
const OTHER_CLINIC = '00000000-0000-4000-8000-0000000000c9';

const row = (overrides: Partial<LiveEventRow> = {}): LiveEventRow => ({
  id: 7,
  type: 'referral.updated',
  referralId: '00000000-0000-4000-8000-0000000000aa',
  version: 2,
  status: 'sent',
  notificationId: null,
  userIds: [SENDER, RECIPIENT],
  clinicIds: [SENDER_CLINIC],
  ...overrides,
});
const principal = (overrides: Partial<Principal>): Principal => ({
  userId: '00000000-0000-4000-8000-0000000000ff',
  clinicId: OTHER_CLINIC,
  role: 'physical_therapist',
  isAdmin: false,
  sessionId: '00000000-0000-4000-8000-0000000000ee',
  client: { requestId: 'request-1' },
  ...overrides,
});

describe('live frames', () => {
  it('carry the durable id, the event name and ids only', () => {
    expect(liveFrame(row())).toBe(
      'id: 7\nevent: referral.updated\ndata: {"id":"00000000-0000-4000-8000-0000000000aa","version":2,"status":"sent"}\n\n',
    );
    expect(liveFrame(row({ type: 'notification.created', notificationId: 'n1', referralId: null }))).toBe(
      'id: 7\nevent: notification.created\ndata: {"id":"n1"}\n\n',
    );
    expect(liveFrame(row({ type: 'message.created' }))).toBe(
      'id: 7\nevent: message.created\ndata: {"referralId":"00000000-0000-4000-8000-0000000000aa"}\n\n',
    );
  });

  it('go to the row’s users and to admins of its clinics, nobody else', () => {
    expect(mayHear(principal({ userId: SENDER }), row())).toBe(true);
    expect(mayHear(principal({ userId: RECIPIENT }), row())).toBe(true);
    expect(mayHear(principal({ clinicId: SENDER_CLINIC, isAdmin: true }), row())).toBe(true);
    // A non-admin colleague of the sender's clinic, and an admin of another clinic.
    expect(mayHear(principal({ clinicId: SENDER_CLINIC }), row())).toBe(false);
    expect(mayHear(principal({ isAdmin: true }), row())).toBe(false);
  });
});

describe('opening a stream', () => {
  const NEWEST = 100;
  const pt = principal({ userId: RECIPIENT });

  /** A hub on a journal whose newest id is NEWEST; `between` and `after` as the test says. */
  function hubWith(store: Partial<Record<keyof LiveStore, unknown>>): LiveHub {
    const journal = {
      newestId: () => Promise.resolve(NEWEST),
      after: (): Promise<LiveRead> => Promise.resolve({ rows: [], xmin: 1n, xmax: 1n }),
      ...store,
    };
    return new LiveHub(journal as unknown as LiveStore, { now: () => new Date() }, {} as never, {} as never);
  }
  const sink = () => {
    const frames: string[] = [];
    const s: LiveSink & { frames: string[]; ended: boolean } = {
      frames,
      ended: false,
      write: (f) => frames.push(f),
      queuedBytes: () => 0,
      end: () => {
        s.ended = true;
      },
    };
    return s;
  };
  const hubs: LiveHub[] = [];
  afterEach(() => hubs.splice(0).forEach((hub) => hub.onModuleDestroy()));

  it(`lets at most ${MAX_CONCURRENT_CATCH_UPS} resuming streams read what they missed at a time; each gets its rows`, async () => {
    let running = 0;
    let most = 0;
    const calls: [string, number, number][] = [];
    const hub = hubWith({
      between: async (p: Principal, after: number, upTo: number) => {
        calls.push([p.userId, after, upTo]);
        most = Math.max(most, ++running);
        await delay(5);
        running--;
        return [row({ id: 50 })];
      },
    });
    hubs.push(hub);
    const sinks = Array.from({ length: 12 }, sink);
    await Promise.all(sinks.map((s) => hub.open(pt, s, 10)));
    expect(most).toBe(MAX_CONCURRENT_CATCH_UPS);
    expect(calls).toEqual(Array.from({ length: 12 }, () => [RECIPIENT, 10, NEWEST]));
    for (const s of sinks) expect(s.frames).toEqual([liveFrame(row({ id: 50 }))]);
  });

  it(`keeps at most ${MAX_STREAMS_PER_USER} streams per user: a new one past that ends that user's oldest`, async () => {
    const hub = hubWith({});
    hubs.push(hub);
    const mine = Array.from({ length: MAX_STREAMS_PER_USER + 2 }, sink);
    const other = sink();
    await hub.open(principal({ userId: SENDER }), other, undefined);
    for (const s of mine) await hub.open(pt, s, undefined);
    expect(mine.map((s) => s.ended)).toEqual(mine.map((_, i) => i < 2));
    expect(other.ended).toBe(false);
    expect(hub.openStreams).toBe(MAX_STREAMS_PER_USER + 1);
  });

  it('starts from now on a Last-Event-ID no event has (ahead of the journal), and hears what comes next', async () => {
    let next: LiveEventRow[] = [];
    const between = jest.fn();
    const hub = hubWith({
      between,
      after: (): Promise<LiveRead> => Promise.resolve({ rows: next.splice(0), xmin: 1n, xmax: 1n }),
    });
    hubs.push(hub);
    const ahead = sink();
    await hub.open(pt, ahead, 999_999_999_999);
    next = [row({ id: NEWEST + 1 })];
    await hub.poll();
    expect(ahead.frames).toEqual([liveFrame(row({ id: NEWEST + 1 }))]);
    expect(between).not.toHaveBeenCalled();
  });
});
