import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@referloop/config';
import {
  clinicPayload,
  createTestDatabase,
  deleteQueueKeys,
  PASSWORD,
  practitionerPayload,
  TEST_REDIS_URL,
  type TestDatabase,
  testConfig,
  uniqueEmail,
} from '@referloop/testing';
import { Writable } from 'node:stream';
import type { Client } from 'pg';
import { createRootLogger } from '@referloop/common';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApiApp } from '../../apps/api/src/http/create-api-app';
import { createWorkerContext } from '../../apps/worker/src/create-worker-context';

export interface TestApp {
  app: NestFastifyApplication;
  /** The worker (outbox relay, processors, timers), when started with `worker: true`. */
  worker?: INestApplicationContext;
  config: AppConfig;
  database: TestDatabase;
  http: TestAgent;
  /** Every line the API and the worker logged, when started with `captureLogs: true`. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * The real API on a fresh database of its own, driven over HTTP, logging through the production
 * logger. `captureLogs` keeps every line at level trace in `logs` (privacy tests read them);
 * `configure` adjusts what no environment variable can turn on in server mode (e.g. the embedded
 * default's trial mailbox).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { worker?: boolean; captureLogs?: boolean; configure?: (config: AppConfig) => AppConfig } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = (options.configure ?? ((c) => c))(testConfig(database.url, env));
  const logs: string[] = [];
  const memory = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  // TEST_LOG_LEVEL=debug shows the app's logs while debugging a test.
  const logger = options.captureLogs
    ? createRootLogger('trace', memory)
    : createRootLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const app = await createApiApp(config, logger);
  await app.getHttpAdapter().getInstance().ready();
  const worker = options.worker ? await createWorkerContext(config, logger) : undefined;
  return {
    app,
    worker,
    config,
    database,
    http: request(app.getHttpServer()),
    logs,
    close: async () => {
      await app.close();
      await worker?.close();
      // Keys on the shared Redis only (a test may point its app at an unreachable or private one).
      if (config.redisUrl === TEST_REDIS_URL) await deleteQueueKeys(config.redisUrl, config.queuePrefix);
      await database.drop();
    },
  };
}

export interface SignedInUser {
  id: string;
  clinicId: string;
  email: string;
  role: string;
  accessToken: string;
  refreshToken: string;
  auth: { Authorization: string };
}

export interface TestClinic {
  admin: SignedInUser;
  clinicId: string;
}

function signedIn(body: {
  user: { id: string; clinicId: string; email: string; role: string };
  accessToken: string;
  refreshToken: string;
}): SignedInUser {
  return {
    id: body.user.id,
    clinicId: body.user.clinicId,
    email: body.user.email,
    role: body.user.role,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    auth: { Authorization: `Bearer ${body.accessToken}` },
  };
}

export async function registerClinic(http: TestAgent, overrides: Parameters<typeof clinicPayload>[0] = {}): Promise<TestClinic> {
  const res = await http
    .post('/api/v1/auth/register-clinic')
    .send({
      clinic: clinicPayload(overrides),
      admin: { email: uniqueEmail('admin'), password: PASSWORD, fullName: 'Avery Admin' },
    })
    .expect(201);
  return { admin: signedIn(res.body), clinicId: res.body.clinic.id };
}

/**
 * `user` signed in again, at the app's Clock: a test that moves the Clock hours or a day needs an
 * access token that Clock still finds current, as a client would have refreshed by then.
 */
export async function signInAgain(http: TestAgent, user: SignedInUser): Promise<SignedInUser> {
  const res = await http.post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
  return signedIn(res.body);
}

/** Invites a practitioner as the clinic's admin and accepts the invitation. */
export async function addPractitioner(
  http: TestAgent,
  clinic: TestClinic,
  role: 'massage_therapist' | 'physical_therapist',
  overrides: Record<string, unknown> = {},
): Promise<SignedInUser> {
  const invited = await http
    .post('/api/v1/practitioners')
    .set(clinic.admin.auth)
    .send(practitionerPayload(role, new Date(), overrides))
    .expect(201);
  const accepted = await http
    .post('/api/v1/auth/accept-invitation')
    .send({ token: invited.body.invitation.token, password: PASSWORD })
    .expect(200);
  return signedIn(accepted.body);
}

/** Asserts an RFC 9457 answer: status, problem+json content type and the stable members. */
export function expectProblem(
  res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  status: number,
  code: string,
): void {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    type: `urn:referloop:problem:${code}`,
    status,
    code,
    title: expect.any(String),
    detail: expect.any(String),
  });
}

/** A JWT's claims (an access or a stream token), read without checking the signature. */
export function tokenClaims(token: string): { sid: string; iat: number; exp: number } & Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string; iat: number; exp: number };
}

/** The session an access token belongs to (its `sid` claim). */
export function sessionIdOf(accessToken: string): string {
  return tokenClaims(accessToken).sid;
}

/**
 * Every row of every table of the test database but `except`, hashed table by table: equal before
 * and after means nothing was written there.
 */
export async function tableHashes(db: Client, except: readonly string[] = []): Promise<Record<string, string>> {
  const { rows: tables } = await db.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND NOT tablename = ANY($1) ORDER BY tablename`,
    [except],
  );
  const result: Record<string, string> = {};
  for (const { tablename } of tables) {
    const { rows } = await db.query<{ n: number; h: string | null }>(
      `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM "${tablename}" t`,
    );
    result[tablename] = `${rows[0].n}:${rows[0].h ?? ''}`;
  }
  return result;
}
