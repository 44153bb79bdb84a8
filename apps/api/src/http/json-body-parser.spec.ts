import { exceedsJsonDepth } from './json-body-parser';

describe('exceedsJsonDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(exceedsJsonDepth('{"a":[1,{"b":[]}]}', 4)).toBe(false);
    expect(exceedsJsonDepth('{"a":[1,{"b":[]}]}', 3)).toBe(true);
    expect(exceedsJsonDepth('{"text":"[[[[[[{{{{{{"}', 1)).toBe(false);
    expect(exceedsJsonDepth('{"text":"a \\\\" , "b":[[[]]]}', 3)).toBe(true);
  });

  it('skips an escaped quote inside a string', () => {
    // The string is `say \"[[[` : the escaped quote does not end it, so its brackets do not count.
    expect(exceedsJsonDepth('{"q":"say \\"[[[","n":1}', 1)).toBe(false);
  });

  it('refuses a deep body however it is nested', () => {
    expect(exceedsJsonDepth(`${'['.repeat(33)}${']'.repeat(33)}`, 32)).toBe(true);
    expect(exceedsJsonDepth(`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`, 32)).toBe(true);
    expect(exceedsJsonDepth(`${'['.repeat(32)}${']'.repeat(32)}`, 32)).toBe(false);
  });
});
