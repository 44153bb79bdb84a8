import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedEmail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * A real SMTP server on a free loopback port that keeps every message it receives. `refuse`: the
 * recipient addresses it answers 550 (no such mailbox), each refusal counted in `refused`.
 */
export async function startSmtpSink(
  refuse: (address: string) => boolean = () => false,
): Promise<{ url: string; messages: CapturedEmail[]; refused: string[]; close(): Promise<void> }> {
  const messages: CapturedEmail[] = [];
  const refused: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!refuse(address.address)) return callback();
      refused.push(address.address);
      callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  // A client that dies mid-message (a SIGKILLed worker) is an ECONNRESET here, not a test failure.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface CapturedRequest {
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

/**
 * A real HTTP server for webhooks. `respond` decides each answer's status (e.g. fail the first
 * three) and may take its time; every request is recorded with the status it got.
 */
export async function startWebhookSink(
  respond: (attempt: number, body: string) => number | Promise<number> = () => 200,
): Promise<{ url: string; requests: CapturedRequest[]; close(): Promise<void> }> {
  const requests: CapturedRequest[] = [];
  const capture = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const status = await respond(requests.length + 1, body);
    requests.push({ headers: req.headers, body, status });
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  };
  const server: Server = createServer((req, res) => void capture(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/referloop`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Polls until `check` returns a truthy value or the time runs out (then throws with `what`). */
export async function eventually<T>(
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
