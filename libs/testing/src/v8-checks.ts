import { setFlagsFromString } from 'node:v8';

/**
 * One of V8's own checks on an object, for specs of what V8 does with the app's objects:
 * `HasFastProperties` (shaped properties, not a hash table) or `InYoungGeneration`. V8's natives
 * syntax can only be reached from source compiled after `--allow-natives-syntax` is set.
 */
export function v8Check(name: 'HasFastProperties' | 'InYoungGeneration'): (object: object) => boolean {
  setFlagsFromString('--allow-natives-syntax');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see above: natives syntax needs compiled source
  return new Function('object', `return %${name}(object)`) as (object: object) => boolean;
}
