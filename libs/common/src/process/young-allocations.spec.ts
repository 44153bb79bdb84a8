import { v8Check } from '@referloop/testing';
import { keepShortLivedObjectsYoung } from './young-allocations';

const inYoungGeneration = v8Check('InYoungGeneration');

/**
 * Allocates many objects from one literal that all survive (kept in an array), among garbage that
 * forces young-generation collections, then answers whether the site's next object is still
 * allocated in the young generation. `site` is compiled fresh each time: a new allocation site.
 */
function nextObjectIsYoung(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled here so that each call is a new allocation site
  const site = new Function('i', 'return { i, list: [i] };') as (i: number) => object;
  const kept: object[] = [];
  const garbage: unknown[] = [];
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 20_000; i++) kept.push(site(i));
    for (let i = 0; i < 20_000; i++) garbage[i % 64] = new Array<number>(16);
  }
  return inYoungGeneration(site(0));
}

describe('keepShortLivedObjectsYoung', () => {
  it("stops V8 from allocating a site's objects in the old generation once most of them survived", () => {
    // The control: by default V8 pretenures such a site, so the check can tell.
    expect(nextObjectIsYoung()).toBe(false);
    keepShortLivedObjectsYoung();
    expect(nextObjectIsYoung()).toBe(true);
  });
});
