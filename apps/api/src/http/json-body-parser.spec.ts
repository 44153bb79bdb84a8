import { exceedsJsonDepth, foreignCharset, repeatedJsonKey } from './json-body-parser';

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

describe('repeatedJsonKey', () => {
  it('names a member given twice in one object by its path', () => {
    expect(repeatedJsonKey('{"reason":"a","reason":"b"}')).toBe('reason');
    expect(repeatedJsonKey('{"clinic":{"name":"a","address":{},"name":"b"}}')).toBe('clinic.name');
    expect(repeatedJsonKey('{"consents":[{"scope":"x"},{"scope":"y","scope":"z"}]}')).toBe('consents.1.scope');
    // Spelled with an escape, it is the same name.
    expect(repeatedJsonKey('{"ab":1,"a\\u0062":2}')).toBe('ab');
  });

  it('lets the same name be in different objects, and quotes, braces and commas be inside strings', () => {
    expect(repeatedJsonKey('{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}')).toBeUndefined();
    expect(repeatedJsonKey('{"q":"say \\"a\\":1, {\\"a\\"","a":1}')).toBeUndefined();
    expect(repeatedJsonKey('{"list":["a","a"],"a":"a"}')).toBeUndefined();
    expect(repeatedJsonKey('[{"a":1},{"a":1}]')).toBeUndefined();
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
