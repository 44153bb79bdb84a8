import { accountOf } from './rate-limit.guard';

describe('accountOf', () => {
  it.each([
    [{ email: ' Pat@Example.test ', password: 'x' }, 'pat@example.test'],
    [{ clinic: {}, admin: { email: 'OWNER@example.test' } }, 'owner@example.test'],
    // Every spelling the API takes for one address counts against that one account.
    [{ email: 'Jose\u0301@B\u00fccher.example' }, 'jos\u00e9@xn--bcher-kva.example'],
    [{ email: 'jos\u00e9@XN--BCHER-KVA.example' }, 'jos\u00e9@xn--bcher-kva.example'],
    [{ refreshToken: 'abc' }, undefined],
    [{ email: 42 }, undefined],
    [{ admin: null }, undefined],
    [{ email: `${'a'.repeat(250)}@x.io` }, undefined],
    [null, undefined],
    ['email', undefined],
    [undefined, undefined],
  ])('%j → %s', (body, expected) => {
    expect(accountOf(body)).toBe(expected);
  });
});
