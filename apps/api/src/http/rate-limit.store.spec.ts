import { ProcessRateLimitCounters } from './rate-limit.store';

describe('ProcessRateLimitCounters (the fallback while the shared store is unreachable)', () => {
  let now: number;
  const counters = (capacity?: number) => new ProcessRateLimitCounters(capacity, () => now);

  beforeEach(() => {
    now = 1_000;
  });

  it('counts hits on a key within its window and says when the window ends', () => {
    const c = counters();
    expect(c.hit('login:ip:a', 60_000)).toEqual({ hits: 1, resetInMs: 60_000 });
    now += 15_000;
    expect(c.hit('login:ip:a', 60_000)).toEqual({ hits: 2, resetInMs: 45_000 });
    expect(c.hit('login:ip:b', 60_000)).toEqual({ hits: 1, resetInMs: 60_000 });
  });

  it('starts a new window once the last one ended', () => {
    const c = counters();
    c.hit('k', 60_000);
    c.hit('k', 60_000);
    now += 60_000;
    expect(c.hit('k', 60_000)).toEqual({ hits: 1, resetInMs: 60_000 });
  });

  it('drops the oldest window when full, and only that one', () => {
    const c = counters(2);
    c.hit('first', 60_000);
    now += 1;
    c.hit('second', 60_000);
    c.hit('second', 60_000);
    now += 1;
    c.hit('third', 60_000);
    expect(c.size).toBe(2);
    expect(c.hit('second', 60_000).hits).toBe(3);
    expect(c.hit('first', 60_000).hits).toBe(1);
  });

  it('moves a renewed window to the back of the line', () => {
    const c = counters(2);
    c.hit('a', 10);
    c.hit('b', 60_000);
    now += 10;
    c.hit('a', 10); // a's new window is now younger than b's
    c.hit('c', 60_000); // full: b goes
    expect(c.hit('a', 10).hits).toBe(2);
    expect(c.hit('b', 60_000).hits).toBe(1);
  });
});
