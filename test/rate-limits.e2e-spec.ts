import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { PASSWORD, TEST_REDIS_URL, uniqueEmail } from '@referloop/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import pino from 'pino';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApiApp } from '../apps/api/src/http/create-api-app';
import { expectProblem, registerClinic, startTestApp, type TestApp } from './support/test-app';

const LIMIT = 4;

/**
 * Auth rate limits hold across API replicas (counters in Redis here; PostgreSQL on the embedded
 * default), per client IP as seen through TRUST_PROXY and per account named in the body.
 */
describe('rate limits shared by API replicas', () => {
  let t: TestApp;
  /** A second API process's app on the same database and Redis (same config). */
  let replica: NestFastifyApplication;
  let apps: TestAgent[];

  beforeAll(async () => {
    t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY: '1' });
    replica = await createApiApp(t.config, pino({ level: 'silent' }));
    await replica.getHttpAdapter().getInstance().ready();
    apps = [t.http, request(replica.getHttpServer())];
  });
  afterAll(async () => {
    await replica.close();
    await t.close();
  });

  const login = (http: TestAgent, email: string, forwardedFor?: string) => {
    const call = http.post('/api/v1/auth/login');
    if (forwardedFor) void call.set('X-Forwarded-For', forwardedFor);
    return call.send({ email, password: PASSWORD });
  };

  it('counts one IP across both replicas: the (limit+1)th attempt is 429 on either', async () => {
    const ip = '198.51.100.10';
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i += 1) statuses.push((await login(apps[i % 2], uniqueEmail('ip'), ip)).status);
    expect(statuses).toEqual(Array(LIMIT).fill(401));
    for (const http of apps) {
      const res = await login(http, uniqueEmail('ip'), ip);
      expectProblem(res, 429, 'rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    // Another client is not affected.
    expect((await login(apps[0], uniqueEmail('ip'), '198.51.100.11')).status).toBe(401);
  });

  it('lets one address refresh ten times the limit: a clinic behind one router reloads many pages', async () => {
    const ip = '198.51.100.20';
    const refresh = (http: TestAgent) =>
      http
        .post('/api/v1/auth/refresh')
        .set('X-Forwarded-For', ip)
        .send({ refreshToken: 'not-a-token-'.padEnd(43, 'x') });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT * 10; i += 1) statuses.push((await refresh(apps[i % 2])).status);
    expect(statuses).toEqual(Array(LIMIT * 10).fill(401));
    expectProblem(await refresh(apps[0]), 429, 'rate_limited');
    // Sign-in from that address keeps its own, lower limit.
    const logins: number[] = [];
    for (let i = 0; i <= LIMIT; i += 1) logins.push((await login(apps[0], uniqueEmail('office'), ip)).status);
    expect(logins).toEqual([...Array(LIMIT).fill(401), 429]);
  });

  it('counts one account across IPs and replicas', async () => {
    const email = uniqueEmail('target');
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i += 1) statuses.push((await login(apps[i % 2], email, `203.0.113.${i + 1}`)).status);
    expect(statuses).toEqual(Array(LIMIT).fill(401));
    // A fresh IP, the other replica, the same account in another letter case: still limited.
    expectProblem(await login(apps[1], email.toUpperCase(), '203.0.113.99'), 429, 'rate_limited');
    // Its counter names no one: neither the address nor its plain SHA-256 (undone by hashing guesses).
    const redis = new Redis(t.config.redisUrl!);
    try {
      const keys = (await redis.keys(`${t.config.queuePrefix}*`)).join('\n');
      expect(keys).toMatch(/:account:[0-9a-f]{64}/);
      expect(keys).not.toContain(email);
      expect(keys).not.toContain(createHash('sha256').update(email).digest('hex'));
    } finally {
      redis.disconnect();
    }
  });

  it('audits sign-ins with the client address from X-Forwarded-For behind the trusted proxy', async () => {
    await login(apps[1], uniqueEmail('audited'), '198.51.100.77');
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT ip FROM audit_events WHERE action = 'auth.login_failed' AND ip = '198.51.100.77'`);
      expect(rows).toHaveLength(1);
    } finally {
      await db.end();
    }
  });

  it('limits password reset requests per account too (and answers 202 until then)', async () => {
    const email = uniqueEmail('reset');
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i += 1) {
      const res = await apps[i % 2]
        .post('/api/v1/auth/password-reset')
        .set('X-Forwarded-For', `192.0.2.${i + 1}`)
        .send({ email });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(202), 429]);
  });

  it('limits changing the password per account: a stolen access token gets no endless guesses at it', async () => {
    const clinic = await registerClinic(t.http);
    const change = (i: number, currentPassword: string) =>
      apps[i % 2]
        .post('/api/v1/me/password')
        .set(clinic.admin.auth)
        .set('X-Forwarded-For', `192.0.2.${100 + i}`)
        .send({ currentPassword, newPassword: 'a-new-password-9' });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i += 1) statuses.push((await change(i, 'not-the-password')).status);
    expect(statuses).toEqual(Array(LIMIT).fill(403));
    // From a fresh address, on either replica, even with the right password: over the limit.
    const over = await change(LIMIT, PASSWORD);
    expectProblem(over, 429, 'rate_limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    await t.http.post('/api/v1/auth/login').send({ email: clinic.admin.email, password: PASSWORD }).expect(200);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: a client cannot pick a fresh address per attempt', async () => {
    const direct = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    try {
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i += 1)
        statuses.push((await login(direct.http, uniqueEmail('spoof'), `10.9.8.${i + 1}`)).status);
      expect(statuses).toEqual([...Array(LIMIT).fill(401), 429]);
    } finally {
      await direct.close();
    }
  });

  it('answers sign-in while Redis hangs (open connection, no answers): counted in the process after a short wait', async () => {
    const proxy = await freezableProxy(new URL(TEST_REDIS_URL));
    const stalled = await startTestApp({ REDIS_URL: proxy.url, AUTH_RATE_LIMIT_PER_MINUTE: '2' }, { captureLogs: true });
    try {
      const clinic = await registerClinic(stalled.http);
      proxy.freeze();
      const login = () =>
        stalled.http.post('/api/v1/auth/login').timeout(15_000).send({ email: clinic.admin.email, password: PASSWORD });
      const answers = [await login(), await login(), await login()];
      expect(answers.map((res) => res.status)).toEqual([200, 200, 429]);
      const warnings = stalled.logs.filter((line) => line.includes('counted in this process only'));
      expect(warnings.length).toBeGreaterThanOrEqual(3);
    } finally {
      await stalled.close();
      await proxy.close();
    }
  });

  it('keeps limiting, in the process, while the counter store is unreachable (no 500)', async () => {
    const broken = await startTestApp(
      { REDIS_URL: 'redis://127.0.0.1:1', AUTH_RATE_LIMIT_PER_MINUTE: '2' },
      { captureLogs: true },
    );
    try {
      const clinic = await registerClinic(broken.http);
      const answers = [];
      for (let i = 0; i < 3; i += 1) {
        answers.push(await broken.http.post('/api/v1/auth/login').send({ email: clinic.admin.email, password: PASSWORD }));
      }
      expect(answers.map((res) => res.status)).toEqual([200, 200, 429]);
      expectProblem(answers[2], 429, 'rate_limited');
      expect(Number(answers[2].headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Each hit counted locally is said, on the request's own line (its id finds it).
      const ids = answers.map((res) => res.headers['x-request-id']);
      const warnings = broken.logs
        .map((line) => JSON.parse(line) as { reqId?: string; context?: string; msg: string })
        .filter((line) => line.context === 'RateLimit');
      expect(warnings.map((line) => line.reqId)).toEqual(expect.arrayContaining(ids));
      expect(warnings[0].msg).toContain('counted in this process only');
    } finally {
      await broken.close();
    }
  });
});

/**
 * A TCP proxy to a server that can go silent: after `freeze()` it keeps every connection open and
 * forwards nothing, as a stalled Redis host or a network partition does (a stopped one refuses).
 */
async function freezableProxy(target: URL): Promise<{ url: string; freeze: () => void; close: () => Promise<void> }> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        if (!frozen) to.write(chunk);
      });
      from.on('error', () => undefined);
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}${target.pathname}`,
    freeze: () => {
      frozen = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
