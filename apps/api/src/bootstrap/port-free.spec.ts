import { createServer, type Server } from 'node:net';
import { StartRefused } from '@referloop/common';
import { assertPortFree } from './port-free';

describe('assertPortFree', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => taken.close(resolve)));

  it('refuses a taken port with a message saying what to change', async () => {
    const refusal = assertPortFree('127.0.0.1', port);
    await expect(refusal).rejects.toBeInstanceOf(StartRefused);
    await expect(refusal).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
  });

  it('refuses a HOST that is not an address of this machine, naming HOST', async () => {
    // 192.0.2.0/24 is TEST-NET-1: never an address of a machine running the tests.
    const refusal = assertPortFree('192.0.2.77', 45_678);
    await expect(refusal).rejects.toBeInstanceOf(StartRefused);
    await expect(refusal).rejects.toThrow('HOST 192.0.2.77 is not an address of this machine');
  });

  it('lets a free port through, and leaves it free', async () => {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await assertPortFree('127.0.0.1', port);
    await assertPortFree('127.0.0.1', port);
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port }, resolve));
  });
});
