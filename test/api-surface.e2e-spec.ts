import { PASSWORD, uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import { committedDocument } from './support/openapi-document';
import { joinAsPhysio } from './support/referral-helpers';
import { startTestApp, tableHashes, type TestApp } from './support/test-app';

// Every operation of the OpenAPI document, sent broken path ids, query values and bodies made from
// the document's own schemas. Each answer must be a status the document lists for that operation,
// never a 5xx, and every error a problem+json with a known code (a 400 naming its fields); what was
// refused wrote nothing but its audit event. The hand-written bad-input suites check the details of
// the main forms; this one reaches every route, a route added later included, without a list.

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  minimum?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
}
interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown[];
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const document = committedDocument() as OpenApiDocument;
const problemCodes = (document.components.schemas.Problem.properties!.code.enum ?? []) as string[];

/** The live event stream answers forever: its own suite (live-events) covers it. */
const STREAMS = ['/api/v1/events'];
const operations = Object.entries(document.paths)
  .filter(([template]) => !STREAMS.includes(template))
  .flatMap(([template, item]) => Object.entries(item).map(([method, operation]) => ({ template, method, operation })));

/** Values no field takes as they are: wrong types, empty, far too long, control characters. */
const BAD_VALUES: unknown[] = [null, -1, 1.5, '', ' ', 'x'.repeat(20_001), '\u0000', [], {}, true, '0000-00-00'];
const BAD_QUERY_VALUES = ['', 'x', '-1', '1.5', 'x'.repeat(3_000), '2026-02-30'];
/** Path ids that are not ids: a word, the nil UUID, a very long segment, a UUID in capitals. */
const BAD_PATH_VALUES = ['x', '00000000-0000-0000-0000-000000000000', 'x'.repeat(300), 'D6B8A5F2-3C4B-4E5F-8A9B-0C1D2E3F4A5B'];
const SOME_ID = '3f0c9a52-7b1e-4d2a-9c6f-5e8d7a1b2c3d';
const REMOVE = Symbol('remove');

function resolve(schema: Schema | undefined): Schema | undefined {
  if (!schema) return undefined;
  if (schema.$ref) return document.components.schemas[schema.$ref.split('/').pop()!];
  if (schema.allOf?.length) return resolve(schema.allOf[0]);
  if (schema.anyOf?.length) return resolve(schema.anyOf[0]);
  return schema;
}

/** A value of the schema's shape: enough for the cases to break one part of it at a time. */
function example(raw: Schema | undefined, depth = 0): unknown {
  const schema = resolve(raw);
  if (!schema || depth > 5) return 'text';
  if (schema.enum?.length) return schema.enum[0];
  if (schema.type === 'object' || schema.properties) {
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, example(value, depth + 1)]));
  }
  if (schema.type === 'array') return [example(schema.items, depth + 1)];
  if (schema.type === 'number' || schema.type === 'integer') return schema.minimum ?? 1;
  if (schema.type === 'boolean') return true;
  if (schema.format === 'uuid') return SOME_ID;
  return 'text';
}

function withValueAt(base: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === REMOVE) delete node[last];
  else node[last] = value;
  return copy;
}

/** Each property of the body (nested ones too, and an array's first element) broken every way, and left out. */
function* bodyCases(raw: Schema | undefined, base: unknown, path: (string | number)[] = []): Generator<[string, unknown]> {
  const schema = resolve(raw);
  if (!schema || path.length > 3) return;
  if (schema.type === 'object' || schema.properties) {
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      const at = [...path, key];
      for (const value of [...BAD_VALUES, REMOVE])
        yield [`${at.join('.')} = ${describeValue(value)}`, withValueAt(base, at, value)];
      yield* bodyCases(property, base, at);
    }
  } else if (schema.type === 'array' && path.length > 0) {
    for (const value of BAD_VALUES)
      yield [`${path.join('.')}[0] = ${describeValue(value)}`, withValueAt(base, [...path, 0], value)];
  }
}

function describeValue(value: unknown): string {
  if (value === REMOVE) return '(left out)';
  const text = JSON.stringify(value);
  return text.length > 24 ? `${text.slice(0, 20)}…(${text.length})` : text;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: { code?: unknown; status?: unknown; errors?: { field?: unknown; message?: unknown }[] };
}

/** What is wrong with an answer, against what the document says of the operation. */
function faultsOf(operation: Operation, answer: Answer): string[] {
  const faults: string[] = [];
  if (answer.status >= 500) faults.push(`a ${answer.status}`);
  if (!operation.responses[String(answer.status)]) faults.push(`status ${answer.status} is not documented`);
  if (answer.status < 400) return faults;
  if (!/^application\/problem\+json/.test(answer.headers['content-type'] ?? '')) faults.push('not problem+json');
  if (!problemCodes.includes(answer.body.code as string)) faults.push(`unknown code ${String(answer.body.code)}`);
  if (answer.body.status !== answer.status) faults.push(`body status ${String(answer.body.status)}`);
  if (answer.body.code === 'validation_failed') {
    const errors = answer.body.errors ?? [];
    if (errors.length === 0) faults.push('a validation problem without errors');
    for (const error of errors) {
      if (typeof error.field !== 'string' || !error.field || typeof error.message !== 'string' || !error.message) {
        faults.push(`an error without its field or message: ${JSON.stringify(error)}`);
      }
    }
  }
  return faults;
}

/** What a refused request may still write: its audit event, and the sign-in routes' rate-limit counts. */
const WRITTEN_WHEN_REFUSED = ['audit_events', 'audit_event_clinics', 'rate_limit_counters'];

describe('every documented operation, given broken input', () => {
  let t: TestApp;
  let db: Client;

  /** Every row of every other table, hashed: equal before and after means the refusals wrote nothing. */
  const snapshot = () => tableHashes(db, WRITTEN_WHEN_REFUSED);
  /** A clinic of one (admin and physical therapist): no role check stands between a case and validation. */
  let email: string;
  /** A session of its own for each operation: signing out, as documented, ends only that one. */
  const signIn = async () => {
    const res = await t.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(200);
    return { Authorization: `Bearer ${res.body.accessToken as string}` };
  };

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.database.url });
    await db.connect();
    email = uniqueEmail('sweep');
    await joinAsPhysio(t.http, email).expect(201);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.template}`, o] as const))(
    '%s answers a documented status, a problem+json for each refusal, and writes nothing it refused',
    async (_name, { template, method, operation }) => {
      const fill = (values: Record<string, string>) =>
        template.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(values[name]));
      const parameters = [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      // Well-formed values, so each case breaks one thing: an id, and a real action for /{action}.
      const good = Object.fromEntries(parameters.map((name) => [name, name === 'action' ? 'send' : SOME_ID]));
      const jsonSchema = operation.requestBody?.content['application/json']?.schema;
      const baseBody = jsonSchema ? example(jsonSchema) : undefined;

      type Case = { label: string; path: string; body?: unknown; raw?: string };
      // The request as the document shapes it, so every operation is asked at least once.
      const shaped: Case = { label: "the document's example", path: fill(good), body: baseBody };
      const broken: Case[] = [];
      for (const name of parameters) {
        for (const value of BAD_PATH_VALUES)
          broken.push({ label: `{${name}} = ${value.slice(0, 40)}`, path: fill({ ...good, [name]: value }), body: baseBody });
      }
      for (const { name } of (operation.parameters ?? []).filter((p) => p.in === 'query')) {
        for (const value of BAD_QUERY_VALUES) {
          broken.push({
            label: `?${name}=${value.slice(0, 20)}`,
            path: `${fill(good)}?${name}=${encodeURIComponent(value)}`,
            body: baseBody,
          });
        }
        broken.push({ label: `?${name} twice`, path: `${fill(good)}?${name}=a&${name}=b`, body: baseBody });
      }
      if (jsonSchema) {
        for (const whole of [null, [], 'text', 1])
          broken.push({ label: `body ${JSON.stringify(whole)}`, path: fill(good), body: whole });
        for (const raw of ['{', '{"a":1,"a":2}', '{"__proto__":{"isAdmin":true}}'])
          broken.push({ label: `body ${raw}`, path: fill(good), raw });
        for (const [label, body] of bodyCases(jsonSchema, baseBody)) broken.push({ label, path: fill(good), body });
      }

      const auth = operation.security ? await signIn() : undefined;
      const send = async (c: Case) => {
        let req = t.http[method as 'get' | 'post' | 'patch' | 'put' | 'delete'](c.path);
        if (auth) req = req.set(auth);
        // As a client sends JSON: the text itself, whatever value it holds.
        const text = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
        if (text !== undefined) req = req.set('Content-Type', 'application/json').send(text);
        return (await req) as unknown as Answer;
      };
      const faults: string[] = [];
      const check = (c: Case, answer: Answer) => {
        for (const fault of faultsOf(operation, answer))
          faults.push(`${c.label}: ${fault} (${JSON.stringify(answer.body).slice(0, 160)})`);
      };
      check(shaped, await send(shaped));
      // The example may be valid and write; what the broken cases do after it is compared.
      const before = await snapshot();
      let someAccepted = false;
      for (const c of broken) {
        const answer = await send(c);
        someAccepted ||= answer.status < 400;
        check(c, answer);
      }
      // When one of them was valid after all (an optional field left out), its writes are no fault.
      if (!someAccepted) expect(await snapshot()).toEqual(before);
      expect(faults).toEqual([]);
    },
  );
});
