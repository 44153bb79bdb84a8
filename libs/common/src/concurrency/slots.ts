/**
 * At most `size` holders at once; the rest wait their turn, first come first served. A holder gives
 * its slot back with the function `take` answers (once; a second call does nothing).
 */
export class Slots {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`Slots: size must be a positive integer, not ${size}`);
  }

  /** How many hold a slot now, and how many wait for one. */
  get usage(): { held: number; waiting: number } {
    return { held: this.held, waiting: this.waiting.length };
  }

  async take(): Promise<() => void> {
    if (this.held < this.size) this.held++;
    // The slot is handed over by the holder that gives it back (`held` stays as it is).
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    };
  }

  /** Runs `work` in a slot, and gives the slot back however it ends. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.take();
    try {
      return await work();
    } finally {
      release();
    }
  }
}
