import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseHead } from './support/raw-http';
import { startTestApp, type TestApp } from './support/test-app';

// What a client sees while the API stops (a deploy, a scale-down): the request it is in the middle
// of is answered as usual, and one that arrives once stopping has begun gets a problem telling it to
// retry on a new connection, never a bare body, a reset or a 500 from a database already closed.

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The answers in `text`, a connection's bytes (Content-Length framed). */
function answersIn(text: string): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const { status, headers } = parseHead(rest.slice(0, end));
    const length = Number(headers['content-length']);
    answers.push({ status, headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return answers;
}

describe('stopping the API', () => {
  let t: TestApp;
  let port: number;
  /** The test's own close of the app (all of TestApp.close()), when it got that far. */
  let closed: Promise<void> | undefined;

  beforeAll(async () => {
    t = await startTestApp({}, { captureLogs: true });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });

  // Closing twice would leave a handle open: only when the test did not get to close it.
  afterAll(() => closed ?? t.close());

  it('answers the request in progress, then refuses the next one with a 503 not_ready problem and closes the connection', async () => {
    const socket: Socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));

    // A sign-in whose body is still arriving: the request is in progress when the app starts to stop.
    const body = JSON.stringify({ email: 'nobody@example.com', password: 'not the password at all' });
    socket.write(
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    // TestApp.close() begins with app.close(), synchronously; the database goes once the app is closed.
    closed = t.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The rest of its body, and right behind it another request on the same connection.
    socket.write(`${body.slice(10)}GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await closed;
    await ended;

    const [inProgress, next, ...more] = answersIn(received);
    // Answered on its merits (the database still open for it): unknown credentials.
    expect(inProgress.status).toBe(401);
    expect(JSON.parse(inProgress.body)).toMatchObject({ code: 'unauthenticated' });
    expect(next.status).toBe(503);
    expect(next.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(next.headers['retry-after']).toBe('1');
    expect(next.headers.connection).toBe('close');
    expect(next.headers['x-request-id']).toBeTruthy();
    expect(JSON.parse(next.body)).toMatchObject({ status: 503, code: 'not_ready' });
    expect(more).toEqual([]);
    // A refusal while stopping is an answer, not a failure: no error line, no stack.
    expect(t.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
  });
});
