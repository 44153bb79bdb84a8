import Ajv, { type ValidateFunction } from 'ajv';
import { actionBody, actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import { committedDocument, operationTemplate } from './support/openapi-document';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from './support/test-app';

// What the API answers is what the OpenAPI document says it answers: a referral's whole loop and
// every page around it, each 2xx JSON body checked against its operation's documented schema
// (required members, types, enums, null only where nullable) by an independent validator (Ajv).
// The web app's client types are generated from the same document, so a drift here is a drift there.

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

const document = committedDocument() as OpenApiDocument;

/**
 * The document's schemas as JSON Schema: OpenAPI 3.0's `nullable: true` adds null to its own
 * `type` only (with no `type` there is nothing to widen: null passes or fails by the schema's enum,
 * allOf and anyOf, as a strict 3.0 reading has it).
 */
function asJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(asJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, asJsonSchema(value)]));
  if (nullable === true && typeof converted.type === 'string') converted.type = [converted.type, 'null'];
  return converted;
}

describe('answers match the OpenAPI document', () => {
  let t: TestApp;
  // Shapes only: a `format` (uuid, date-time) is not checked here.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(asJsonSchema(document) as object, 'openapi');

  /** The validator of an operation's answer, by JSON pointer into the document (its $refs resolve there; Ajv keeps it). */
  function validatorOf(template: string, method: string, status: number): ValidateFunction | undefined {
    const content = document.paths[template][method].responses[String(status)]?.content?.['application/json'];
    if (!content?.schema) return undefined;
    return ajv.getSchema(
      `openapi#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${status}/content/application~1json/schema`,
    );
  }

  /** Every answer of the story, as [method, path, status, body]. */
  const answers: [string, string, number, unknown][] = [];
  async function call(user: SignedInUser | null, method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object) {
    let req = t.http[method](path);
    if (user) req = req.set(user.auth);
    const res = await (body === undefined ? req : req.send(body));
    answers.push([method, path, res.status, res.body]);
    return res;
  }

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('every 2xx JSON answer of a referral loop and the pages around it matches its documented schema', async () => {
    const senderClinic = await registerClinic(t.http);
    const lmt = await addPractitioner(t.http, senderClinic, 'massage_therapist');
    const recipientClinic = await registerClinic(t.http);
    const pt = await addPractitioner(t.http, recipientClinic, 'physical_therapist');
    const admin = senderClinic.admin;
    const patient = await createPatient(t.http, lmt);

    // The loop: sent, taken on, treated, reported back, closed, and maintenance massage recommended back.
    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id, { painLevel: 6 }));
    referral = await actOk(t.http, lmt, referral, 'send');
    for (const [who, action] of [
      [pt, 'accept'],
      [pt, 'schedule'],
      [pt, 'start-care'],
      [pt, 'report-progress'],
      [pt, 'send-outcome'],
    ] as const) {
      referral = (
        await call(who, 'post', `/api/v1/referrals/${referral.id}/${action}`, {
          version: referral.version,
          ...actionBody(action),
        })
      ).body;
    }
    await call(lmt, 'post', `/api/v1/referrals/${referral.id}/messages`, { body: 'Thank you for the report' });
    await call(pt, 'post', `/api/v1/referrals/${referral.id}/read`);
    await call(pt, 'post', `/api/v1/patients/import`, { referralId: referral.id });
    await call(pt, 'post', `/api/v1/referrals/${referral.id}/follow-up`, {});
    referral = (await call(lmt, 'post', `/api/v1/referrals/${referral.id}/close`, { version: referral.version })).body;

    for (const [user, path] of [
      [lmt, `/api/v1/referrals/${referral.id}`],
      [lmt, `/api/v1/referrals/${referral.id}/events`],
      [lmt, `/api/v1/referrals/${referral.id}/progress`],
      [lmt, `/api/v1/referrals/${referral.id}/messages`],
      [lmt, '/api/v1/referrals?box=sent'],
      [pt, '/api/v1/referrals?box=received'],
      [lmt, '/api/v1/referrals'],
      [admin, '/api/v1/referrals?box=clinic'],
      [lmt, '/api/v1/patients'],
      [lmt, `/api/v1/patients/${patient.id}`],
      [lmt, '/api/v1/notifications'],
      [pt, '/api/v1/notifications'],
      [lmt, '/api/v1/practitioners'],
      [lmt, `/api/v1/practitioners/${pt.id}`],
      [lmt, '/api/v1/me'],
      [lmt, '/api/v1/me/sessions'],
      [lmt, '/api/v1/me/partners'],
      [lmt, '/api/v1/me/notification-preferences'],
      [lmt, '/api/v1/reference-data'],
      [admin, '/api/v1/clinics/me'],
      [admin, '/api/v1/clinics/me/members'],
      [admin, '/api/v1/clinics/me/partners'],
      [admin, '/api/v1/invitations'],
      [admin, '/api/v1/webhooks'],
      [admin, '/api/v1/admin/metrics'],
      [admin, '/api/v1/admin/referrals/overdue'],
      [admin, '/api/v1/admin/referrals/unowned'],
      [admin, '/api/v1/admin/audit-events'],
      [admin, '/api/v1/admin/notifications/failed'],
      [admin, '/api/v1/admin/notifications/preview'],
    ] as const) {
      await call(user, 'get', path);
    }
    await call(lmt, 'post', '/api/v1/me/partners', { practitionerId: pt.id });
    await call(admin, 'post', '/api/v1/clinics/me/partners', { practitionerId: pt.id });
    await call(admin, 'patch', '/api/v1/clinics/me', { phone: '+1 512 555 0111' });
    await call(lmt, 'put', '/api/v1/me/notification-preferences', { email: false });
    await call(lmt, 'post', '/api/v1/patients/search', { q: 'Rivera' });

    // Each step of the story did what it should: a refusal here would leave its answer unchecked.
    expect(answers.filter(([, , status]) => status >= 300)).toEqual([]);
    const mismatches: string[] = [];
    let checked = 0;
    for (const [method, path, status, body] of answers) {
      const template = operationTemplate(document.paths, method, path)!;
      const validate = validatorOf(template, method, status);
      if (!validate) continue;
      checked++;
      if (!validate(body)) {
        for (const error of validate.errors ?? [])
          mismatches.push(
            `${method.toUpperCase()} ${template} ${status}: ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`,
          );
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBe(answers.filter(([, , status]) => status !== 204).length);
  });
});
