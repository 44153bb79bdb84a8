import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { isoDateFrom } from '@referloop/testing';
import { parseHead } from './support/raw-http';
import { registerClinic, startTestApp, type TestApp, type TestClinic } from './support/test-app';

// Requests whose framing or headers say two things at once, written byte by byte (supertest and
// Node's client would not send them): each is a problem+json refusal naming the header, and
// nothing is written.

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Sends `bytes` on a new connection and reads the first answer (Content-Length framed, as every problem is). */
function send(port: number, bytes: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer: ${received.toString('latin1').slice(0, 200)}`));
    }, 5_000);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const text = received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const { status, headers } = parseHead(text.slice(0, end));
      const length = Number(headers['content-length'] ?? NaN);
      const body = received.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
      if (!Number.isFinite(length) || body.length < length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, headers, body: JSON.parse(body.subarray(0, length).toString('utf8')) });
    });
  });
}

/**
 * Sends `bytes` on a new connection and reads until the server closes it, or until `answers`
 * answers have come and half a second more passed: the answers' statuses and the raw text.
 */
function sendUntilClosed(
  port: number,
  bytes: string,
  answers = Infinity,
): Promise<{ statuses: number[]; text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])), text, closed });
    };
    const timer = setTimeout(() => finish(false), 5_000);
    socket.on('error', reject);
    let settling: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (settling === undefined && [...text.matchAll(/HTTP\/1\.1 \d{3} /g)].length >= answers) {
        settling = setTimeout(() => finish(false), 500);
      }
    });
    socket.on('close', () => {
      clearTimeout(settling);
      finish(true);
    });
  });
}

function expectRefusal(answer: RawAnswer, status: number, code: string, field: string): void {
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer.headers['x-request-id']).toBeDefined();
  expect(answer.body).toMatchObject({ status, code, type: `urn:referloop:problem:${code}` });
  expect(answer.body.errors).toEqual([expect.objectContaining({ field })]);
  expect(answer.status).toBe(status);
}

describe('HTTP framing and repeated headers', () => {
  let t: TestApp;
  let port: number;
  let clinic: TestClinic;
  let bearer: string;
  const patient = JSON.stringify({
    firstName: 'Jamie',
    lastName: 'Framing',
    dateOfBirth: isoDateFrom(new Date(), -35 * 365),
    phone: '+1 512 555 0199',
    preferredContact: 'phone',
    consents: [],
  });

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    clinic = await registerClinic(t.http);
    bearer = clinic.admin.auth.Authorization;
  });
  afterAll(() => t.close());

  const patientsNamedFraming = async () => {
    const res = await t.http.get('/api/v1/patients?q=Framing').set(clinic.admin.auth).expect(200);
    return res.body.items.length as number;
  };

  it('a body sent with a transfer coding besides chunked (gzip, deflate, …) is a 415 naming Transfer-Encoding, not read as plain', async () => {
    const chunked = `${Buffer.byteLength(patient).toString(16)}\r\n${patient}\r\n0\r\n\r\n`;
    for (const coding of ['gzip, chunked', 'deflate, chunked', 'identity, chunked']) {
      const answer = await send(
        port,
        `POST /api/v1/patients HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer}\r\nContent-Type: application/json\r\n` +
          `Transfer-Encoding: ${coding}\r\n\r\n${chunked}`,
      );
      expectRefusal(answer, 415, 'unsupported_media_type', 'Transfer-Encoding');
    }
    expect(await patientsNamedFraming()).toBe(0);
    // Plain chunked is still read.
    const ok = await send(
      port,
      `POST /api/v1/patients HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer}\r\nContent-Type: application/json\r\n` +
        `Transfer-Encoding: chunked\r\n\r\n${chunked}`,
    );
    expect(ok.status).toBe(201);
    expect(await patientsNamedFraming()).toBe(1);
  });

  it.each([
    ['Authorization', (b: string) => `Authorization: ${b}\r\nAuthorization: Bearer someone-else\r\n`],
    ['Host', (b: string) => `Authorization: ${b}\r\nHost: other.example\r\n`],
    ['Content-Type', (b: string) => `Authorization: ${b}\r\nContent-Type: text/plain\r\n`],
    ['Idempotency-Key', (b: string) => `Authorization: ${b}\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\n`],
  ])('%s sent twice is a 400 naming it, instead of one of them being taken unseen', async (field, extra) => {
    const answer = await send(
      port,
      `POST /api/v1/patients HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra(bearer)}` +
        `Content-Length: ${Buffer.byteLength(patient)}\r\n\r\n${patient}`,
    );
    expectRefusal(answer, 400, 'validation_failed', field);
    expect(answer.body.errors).toEqual([{ field, message: 'must be sent once' }]);
  });

  it('two If-Match headers are a 400 naming If-Match', async () => {
    const answer = await send(
      port,
      `POST /api/v1/referrals/00000000-0000-4000-8000-000000000000/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Authorization: ${bearer}\r\nIf-Match: "1"\r\nIf-Match: "2"\r\n\r\n`,
    );
    expectRefusal(answer, 400, 'validation_failed', 'If-Match');
  });

  it('an HTTP/1.1 request without Host is a 400 problem naming Host; HTTP/1.0 needs none', async () => {
    expectRefusal(
      await send(port, `GET /api/v1/me HTTP/1.1\r\nAuthorization: ${bearer}\r\n\r\n`),
      400,
      'validation_failed',
      'Host',
    );
    const old = await send(port, `GET /api/v1/me HTTP/1.0\r\nAuthorization: ${bearer}\r\n\r\n`);
    expect(old.status).toBe(200);
    expect(old.body.id).toBe(clinic.admin.id);
  });

  it('an Expect other than 100-continue is a 417 problem naming Expect (Node answered it with no body)', async () => {
    const answer = await send(
      port,
      `POST /api/v1/patients HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer}\r\nContent-Type: application/json\r\n` +
        `Expect: 200-ok\r\nContent-Length: ${Buffer.byteLength(patient)}\r\n\r\n${patient}`,
    );
    expectRefusal(answer, 417, 'validation_failed', 'Expect');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(await patientsNamedFraming()).toBe(1);
  });

  it('a connection pipelining more than 8 requests gets the 9th answered 429 and is closed; the first 8 are answered as usual', async () => {
    const me = `GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer}\r\n\r\n`;
    // Eight at once on one connection are fine (and it stays open for more).
    const eight = await sendUntilClosed(port, me.repeat(8), 8);
    expect(eight.statuses).toEqual(Array(8).fill(200));
    expect(eight.closed).toBe(false);
    // Node started every pipelined request at once: thousands queued for the pool, others got 503.
    const flood = await sendUntilClosed(port, me.repeat(200));
    expect(flood.statuses).toEqual([...Array(8).fill(200), 429]);
    expect(flood.closed).toBe(true);
    const refusal = flood.text.slice(flood.text.lastIndexOf('HTTP/1.1 429'));
    expect(refusal).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(refusal).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(refusal).toContain('"code":"rate_limited"');
    // Requests one after the other on one connection are never counted against it.
    const sequential = await new Promise<number[]>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const statuses: number[] = [];
      let text = '';
      socket.on('error', reject);
      socket.on('connect', () => socket.write(me));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        const answers = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)];
        if (answers.length === statuses.length) return;
        statuses.push(Number(answers[answers.length - 1][1]));
        if (statuses.length === 20) {
          socket.destroy();
          resolve(statuses);
        } else socket.write(me);
      });
    });
    expect(sequential).toEqual(Array(20).fill(200));
  });

  it('a CONNECT request is a 404 problem like any method without a route (Node closed the connection unanswered)', async () => {
    const answer = await send(port, 'CONNECT 127.0.0.1:5432 HTTP/1.1\r\nHost: 127.0.0.1:5432\r\n\r\n');
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 404, code: 'not_found', type: 'urn:referloop:problem:not_found' });
  });
});
