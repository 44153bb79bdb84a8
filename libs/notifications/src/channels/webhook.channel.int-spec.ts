import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@referloop/config';
import { WebhookChannel, type WebhookMessage } from './webhook.channel';
import { assertWebhookTarget, WEBHOOK_TARGET_NOT_ALLOWED } from './webhook-target';

/**
 * DNS rebinding against real sockets: a host name that resolves to a public address when the
 * webhook is checked and to loopback when the delivery connects must never reach the loopback
 * server. The resolver is injected; the server counts every TCP connection it is offered.
 */
describe('webhook deliveries and DNS rebinding', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  const config = (allowedHosts = '') =>
    loadConfig({
      DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused_test',
      JWT_SECRET: 'a-very-long-signing-secret-of-at-least-32-chars',
      WEBHOOK_ALLOWED_HOSTS: allowedHosts,
      WEBHOOK_TIMEOUT: '2s',
    });
  const message = (url: string): WebhookMessage => ({ url, secret: 'whsec_test', deliveryId: 'd-1', payload: { id: 'd-1' } });
  /** Answers `first` once, then `then` for ever: a rebinding DNS. */
  const rebinding = (first: string[], then: string[]) => {
    let calls = 0;
    return (): Promise<LookupAddress[]> =>
      Promise.resolve((calls++ === 0 ? first : then).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };

  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(204).end());
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    connections = 0;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('connects only to the address it checked: public when created, loopback at delivery is refused', async () => {
    const url = `https://hooks.rebind.test:${port}/hook`;
    const resolve = rebinding(['93.184.216.34'], ['127.0.0.1']);
    // Created: the name resolved to a public address.
    await expect(assertWebhookTarget(new URL(url), [], resolve)).resolves.toBeUndefined();
    // Delivered: the same name now answers loopback; the socket never gets there.
    const sent = new WebhookChannel(config(), resolve).send(message(url));
    await expect(sent).rejects.toThrow(new Error(WEBHOOK_TARGET_NOT_ALLOWED));
    expect(connections).toBe(0);
  });

  it('refuses an answer that mixes public and private addresses, or maps loopback into IPv6', async () => {
    const url = `https://hooks.rebind.test:${port}/hook`;
    for (const answer of [['93.184.216.34', '127.0.0.1'], ['::ffff:127.0.0.1'], ['64:ff9b::7f00:1']]) {
      const sent = new WebhookChannel(config(), rebinding(answer, answer)).send(message(url));
      const error = await sent.catch((e: Error) => e);
      expect({ answer, message: (error as Error).message }).toEqual({ answer, message: WEBHOOK_TARGET_NOT_ALLOWED });
    }
    await expect(new WebhookChannel(config()).send(message(`https://127.0.0.1:${port}/hook`))).rejects.toThrow(
      WEBHOOK_TARGET_NOT_ALLOWED,
    );
    expect(connections).toBe(0);
  });

  it('refuses plain http to a host that is not allow-listed, and delivers to an allow-listed one', async () => {
    const refused = new WebhookChannel(config()).send(message(`http://127.0.0.1:${port}/hook`));
    await expect(refused).rejects.toThrow('webhook URL must use https');
    expect(connections).toBe(0);
    // The positive control: the server is there, and an allow-listed host reaches it.
    await expect(new WebhookChannel(config('127.0.0.1')).send(message(`http://127.0.0.1:${port}/hook`))).resolves.toBeUndefined();
    expect(connections).toBe(1);
  });

  it('reports a failed connection without the address', async () => {
    const closed = `http://127.0.0.1:1/hook`;
    const error = await new WebhookChannel(config('127.0.0.1')).send(message(closed)).catch((e: Error) => e);
    expect((error as Error).message).toBe('webhook request failed (ECONNREFUSED)');
  });
});
