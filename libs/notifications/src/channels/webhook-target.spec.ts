import type { LookupAddress } from 'node:dns';
import {
  assertWebhookTarget,
  checkWebhookUrl,
  isBlockedAddress,
  WEBHOOK_CREDENTIALS_IN_URL,
  WEBHOOK_HTTPS_REQUIRED,
  WEBHOOK_TARGET_NOT_ALLOWED,
  webhookLookup,
} from './webhook-target';

const answers =
  (...addresses: string[]) =>
  (): Promise<LookupAddress[]> =>
    Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

describe('webhook targets', () => {
  it.each([
    '0.0.0.0',
    '10.1.2.3',
    '100.64.0.1',
    '127.0.0.1',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.0.2.1',
    '192.88.99.1',
    '192.168.1.1',
    '198.18.0.1',
    '198.51.100.7',
    '203.0.113.9',
    '224.0.0.1',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::a01:203', // IPv4-compatible 10.1.2.3
    '::ffff:127.0.0.1', // IPv4-mapped
    '::ffff:8.8.8.8', // IPv4-mapped, even of a public address
    '64:ff9b::a01:203', // NAT64 of 10.1.2.3
    '64:ff9b:1::1',
    '100::1',
    '2001::1', // Teredo
    '2001:db8::1',
    '2002:a01:203::1', // 6to4 of 10.1.2.3
    '3fff::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fec0::1',
    'ff02::1',
    'not-an-address',
  ])('blocks %s', (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])(
    'allows the public address %s',
    (address) => {
      expect(isBlockedAddress(address)).toBe(false);
    },
  );

  it('requires https unless the host is allow-listed', () => {
    expect(() => checkWebhookUrl(new URL('http://hooks.example.com/x'), [])).toThrow(WEBHOOK_HTTPS_REQUIRED);
    expect(() => checkWebhookUrl(new URL('ftp://hooks.example.com/x'), ['hooks.example.com'])).toThrow(WEBHOOK_HTTPS_REQUIRED);
    expect(checkWebhookUrl(new URL('http://127.0.0.1:8080/x'), ['127.0.0.1'])).toEqual({ allowListed: true });
    expect(checkWebhookUrl(new URL('https://hooks.example.com/x'), [])).toEqual({ allowListed: false });
  });

  it('refuses credentials in the URL, even for an allow-listed host', () => {
    for (const url of [
      'https://user:pass@hooks.example.com/x',
      'https://token@hooks.example.com/x',
      'http://u:p@127.0.0.1:8080/x',
    ]) {
      expect(() => checkWebhookUrl(new URL(url), ['127.0.0.1'])).toThrow(WEBHOOK_CREDENTIALS_IN_URL);
    }
  });

  it('refuses a host when any of its addresses is blocked, with a text that names none', async () => {
    const url = new URL('https://hooks.example.com/x');
    await expect(assertWebhookTarget(url, [], answers('93.184.216.34'))).resolves.toBeUndefined();
    const refused = assertWebhookTarget(url, [], answers('93.184.216.34', '10.0.0.5'));
    await expect(refused).rejects.toThrow(new Error(WEBHOOK_TARGET_NOT_ALLOWED));
    await expect(assertWebhookTarget(new URL('https://[::ffff:a00:5]/x'), [], answers())).rejects.toThrow(
      WEBHOOK_TARGET_NOT_ALLOWED,
    );
    // Allow-listed hosts are not resolved at all.
    await expect(
      assertWebhookTarget(new URL('http://localhost/x'), ['localhost'], answers('127.0.0.1')),
    ).resolves.toBeUndefined();
  });

  it('accepts a host that does not resolve now (its deliveries check it when they connect), not one that is or resolves to a private address', async () => {
    const url = new URL('https://hooks.not-deployed-yet.example/x');
    const unresolvable = (): Promise<LookupAddress[]> =>
      Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    await expect(assertWebhookTarget(url, [], unresolvable)).resolves.toBeUndefined();
    await expect(assertWebhookTarget(url, [], answers())).resolves.toBeUndefined();
    // Still refused when it does resolve to a private address, or is one.
    await expect(assertWebhookTarget(url, [], answers('192.168.1.9'))).rejects.toThrow(WEBHOOK_TARGET_NOT_ALLOWED);
    await expect(assertWebhookTarget(new URL('https://10.0.0.5/x'), [], unresolvable)).rejects.toThrow(
      WEBHOOK_TARGET_NOT_ALLOWED,
    );
  });

  it('gives the socket the checked addresses, one or all as Node asks, and an error for a blocked answer', async () => {
    const call = (lookup: ReturnType<typeof webhookLookup>, options: { all?: boolean; family?: number }) =>
      new Promise<{ error: Error | null; result: unknown[] }>((resolve) =>
        lookup('hooks.example.com', options, (error: Error | null, ...result: unknown[]) => resolve({ error, result })),
      );
    const publicHost = webhookLookup(answers('93.184.216.34', '2606:4700:4700::1111'));
    expect(await call(publicHost, { all: true })).toEqual({
      error: null,
      result: [
        [
          { address: '93.184.216.34', family: 4 },
          { address: '2606:4700:4700::1111', family: 6 },
        ],
      ],
    });
    expect(await call(publicHost, { family: 6 })).toEqual({ error: null, result: ['2606:4700:4700::1111', 6] });
    const rebound = await call(webhookLookup(answers('127.0.0.1')), { all: true });
    expect(rebound.error?.message).toBe(WEBHOOK_TARGET_NOT_ALLOWED);
  });
});
