import { takeLinkToken } from './link-token';

/** A stand-in for the browser's window: its address and the history entry the page rewrites. */
function at(url: string, state: unknown = null) {
  const location = new URL(url);
  const replaced: string[] = [];
  const history = {
    state,
    replaceState: (next: unknown, _title: string, path: string) => {
      history.state = next;
      replaced.push(path);
    },
  };
  (globalThis as unknown as { window: unknown }).window = { location, history };
  return replaced;
}

const historyState = () => (globalThis as unknown as { window: { history: { state: unknown } } }).window.history.state;

describe('takeLinkToken', () => {
  afterEach(() => delete (globalThis as { window?: unknown }).window);

  it('reads the token from the fragment and leaves it out of the address bar', () => {
    const replaced = at('https://app.test/reset-password#token=abc%2Bd');
    expect(takeLinkToken('token')).toBe('abc+d');
    expect(replaced).toEqual(['/reset-password']);
  });

  it('keeps the rest of the query, and reads a token in the query only when asked to (old invitation links)', () => {
    expect(at('https://app.test/sign-up?lang=fr#invitation=t1') && takeLinkToken('invitation')).toBe('t1');
    expect(takeLinkToken('token')).toBeNull();

    const replaced = at('https://app.test/accept-invitation?token=old&lang=fr');
    expect(takeLinkToken('token', { legacyQuery: true })).toBe('old');
    expect(replaced).toEqual(['/accept-invitation?lang=fr']);
  });

  it('prefers the fragment, and leaves an address without a token as it is', () => {
    at('https://app.test/accept-invitation?token=old#token=new');
    expect(takeLinkToken('token', { legacyQuery: true })).toBe('new');
    const replaced = at('https://app.test/sign-up');
    expect(takeLinkToken('invitation')).toBeNull();
    expect(replaced).toEqual([]);
  });

  it('keeps the token in the history entry, not the address: a reload of the page still has it', () => {
    at('https://app.test/sign-up#invitation=t1');
    expect(takeLinkToken('invitation')).toBe('t1');
    const kept = historyState();
    // The reload: the same entry (its state) at the address without the fragment.
    const replaced = at('https://app.test/sign-up', kept);
    expect(takeLinkToken('invitation')).toBe('t1');
    expect(replaced).toEqual([]);
    // Another kind of link token is not taken from it.
    expect(takeLinkToken('token')).toBeNull();
  });
});
