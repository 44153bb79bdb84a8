import { setFlagsFromString } from 'node:v8';

/** V8's own checks on objects that specs of what V8 does with the app's objects use, by how many objects each takes. */
const CHECKS = {
  /** Shaped properties, not a hash table. */
  HasFastProperties: 1,
  InYoungGeneration: 1,
  /** The two objects share one hidden class (V8's "map"). */
  HaveSameMap: 2,
} as const;

/**
 * One of V8's own checks (see {@link CHECKS}). V8's natives syntax can only be reached from source
 * compiled after `--allow-natives-syntax` is set.
 */
export function v8Check(name: 'HasFastProperties' | 'InYoungGeneration'): (object: object) => boolean;
export function v8Check(name: 'HaveSameMap'): (first: object, second: object) => boolean;
export function v8Check(name: keyof typeof CHECKS): (...objects: object[]) => boolean {
  setFlagsFromString('--allow-natives-syntax');
  const params = CHECKS[name] === 1 ? ['a'] : ['a', 'b'];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see above: natives syntax needs compiled source
  return new Function(...params, `return %${name}(${params.join(', ')})`) as (...objects: object[]) => boolean;
}
