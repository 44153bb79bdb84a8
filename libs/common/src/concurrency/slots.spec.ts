import { Slots } from './slots';

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Slots', () => {
  it('gives at most `size` slots at once, the next in order of asking as each comes back', async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const releases: Record<string, () => void> = {};
    for (const name of ['a', 'b', 'c', 'd']) {
      void slots.take().then((release) => {
        order.push(name);
        releases[name] = release;
      });
    }
    await settle();
    expect(order).toEqual(['a', 'b']);
    expect(slots.usage).toEqual({ held: 2, waiting: 2 });

    releases.b();
    await settle();
    expect(order).toEqual(['a', 'b', 'c']);
    expect(slots.usage).toEqual({ held: 2, waiting: 1 });
    // Giving a slot back twice frees one slot, not two.
    releases.b();
    await settle();
    expect(order).toEqual(['a', 'b', 'c']);

    releases.a();
    await settle();
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    releases.c();
    releases.d();
    expect(slots.usage).toEqual({ held: 0, waiting: 0 });
  });

  it('run gives the slot back when the work fails, and answers what the work answers', async () => {
    const slots = new Slots(1);
    await expect(slots.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(slots.usage).toEqual({ held: 0, waiting: 0 });
    await expect(slots.run(() => Promise.resolve(42))).resolves.toBe(42);
    expect(slots.usage).toEqual({ held: 0, waiting: 0 });
  });

  it('refuses a size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => new Slots(size)).toThrow(RangeError);
  });
});
