import { v8Check } from '@referloop/testing';
import { keepShortLivedObjectsYoung } from './young-allocations';

const inYoungGeneration = v8Check('InYoungGeneration');

/**
 * Allocates 800,000 objects from one literal that all survive (kept in an array), among garbage that
 * forces young-generation collections, and counts those V8 allocated straight in the old generation.
 * `site` is compiled fresh each time: a new allocation site. Each object is looked at as it is made,
 * because young objects that survive are moved to the old generation later anyway.
 */
function objectsAllocatedOld(): number {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled here so that each call is a new allocation site
  const site = new Function('i', 'return { i, list: [i] };') as (i: number) => object;
  const kept: object[] = [];
  const garbage: unknown[] = [];
  let old = 0;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 20_000; i++) {
      const object = site(i);
      if (!inYoungGeneration(object)) old++;
      kept.push(object);
    }
    for (let i = 0; i < 20_000; i++) garbage[i % 64] = new Array<number>(16);
  }
  return old;
}

describe('keepShortLivedObjectsYoung', () => {
  it("stops V8 from allocating a site's objects in the old generation once most of them survived", () => {
    // The control: by default V8 pretenures such a site, so the check can tell. V8 decides only at a
    // collection of a young generation grown to full size, and only code from its optimizing compiler
    // follows the decision, so a site can stay undecided in a process whose young generation had
    // shrunk; the second site runs after the first grew it.
    const control = [objectsAllocatedOld(), objectsAllocatedOld()];
    expect(Math.max(...control)).toBeGreaterThan(0);
    keepShortLivedObjectsYoung();
    expect([objectsAllocatedOld(), objectsAllocatedOld()]).toEqual([0, 0]);
  });
});
