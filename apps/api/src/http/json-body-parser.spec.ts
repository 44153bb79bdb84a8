import { exceedsJsonDepth, foreignCharset } from './json-body-parser';

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

describe('foreignCharset', () => {
  it('names a charset other than UTF-8, however it is spelled', () => {
    expect(foreignCharset('application/json; charset=utf-16')).toBe('utf-16');
    expect(foreignCharset('application/json;charset="latin1"')).toBe('latin1');
    expect(foreignCharset('application/json; CHARSET=bogus')).toBe('bogus');
  });

  it('accepts UTF-8 and no charset at all', () => {
    expect(foreignCharset('application/json')).toBeUndefined();
    expect(foreignCharset('application/json; charset=utf-8')).toBeUndefined();
    expect(foreignCharset('application/json; charset=UTF8')).toBeUndefined();
    expect(foreignCharset(undefined)).toBeUndefined();
  });
});
