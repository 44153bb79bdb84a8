import { createServer } from 'node:net';
import { StartRefused } from '@referloop/common';

/**
 * Refuses a start whose port is taken before anything else starts (the embedded database, its
 * migrations): the message says what to change. Free now is no promise for later, so `listen`
 * can still fail, but a second `npm start` on the same port is caught here.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new StartRefused(
              `port ${port} on ${host} is already in use (another ReferLoop?): stop it, or start with another PORT`,
            )
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
            ? new StartRefused(
                `HOST ${host} is not an address of this machine: set HOST to one of its addresses, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`,
              )
            : error,
      ),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
