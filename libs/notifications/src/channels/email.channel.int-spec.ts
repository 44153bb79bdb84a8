import type { AddressInfo } from 'node:net';
import { loadConfig } from '@referloop/config';
import { SMTPServer } from 'smtp-server';
import { EmailChannel } from './email.channel';

/** A real SMTP server that refuses every recipient, quoting the address as servers do. */
describe('email sends that fail', () => {
  let server: SMTPServer;
  let channel: EmailChannel;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        callback(Object.assign(new Error(`<${address.address}>: Recipient address rejected`), { responseCode: 550 }));
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;
    channel = new EmailChannel(
      loadConfig({
        DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused_test',
        JWT_SECRET: 'a-very-long-signing-secret-of-at-least-32-chars',
        SMTP_URL: `smtp://127.0.0.1:${port}`,
      }),
    );
  });
  afterAll(async () => {
    channel.onModuleDestroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('records the codes of a refusal, never the recipient the server quoted', async () => {
    const sent = channel.send({ to: 'jamie.rivera@example.test', subject: 's', text: 't', messageId: 'm-1' });
    const error = (await sent.catch((e: Error) => e)) as Error;
    expect(error.message).toBe('email not sent (EENVELOPE 550)');
    expect(error.stack).not.toContain('jamie');
  });
});
