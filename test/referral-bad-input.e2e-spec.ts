import { Client } from 'pg';
import {
  actOk,
  countRows,
  createPatient,
  createReferral,
  dateInDays,
  inDays,
  injuryReferralBody,
  maintenanceReferralBody,
} from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
} from './support/test-app';

/** A calendar date that does not exist (30 February of last year): never a valid date, never stale. */
const FEB_30 = `${new Date().getUTCFullYear() - 1}-02-30`;
const cursorOf = (values: unknown) => Buffer.from(JSON.stringify(values)).toString('base64url');

interface BadCase {
  name: string;
  /** The body (an object, or raw JSON text when a string) or the query; built when the test runs. */
  input: () => unknown;
  /** The field errors[] must name; null when the request fails before any field is read (e.g. unparseable JSON). */
  field: string | null;
  /** When given, errors[] exactly: one clear message, not every rule a value nobody sent breaks. */
  errors?: { field: string; message: string }[];
}

function eachCase<C extends BadCase>(cases: C[], title: (c: C) => string, run: (c: C) => Promise<void>): void {
  it.each(cases.map((c) => [title(c), c] as [string, C]))('%s → 400, nothing written', (_title, c) => run(c));
}

/** 30 February of next year: a date-time in the future that does not exist. */
const FEB_30_NEXT_YEAR = `${new Date().getUTCFullYear() + 1}-02-30T10:00:00Z`;

/**
 * Malformed requests to the patient and referral routes: each is a 400 problem+json naming the
 * offending field, and writes nothing (rows in patients, patient_consents, referrals and
 * referral_events are counted before and after).
 */
describe('bad input on patients and referrals', () => {
  let t: TestApp;
  let sql: Client;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let lmt2: SignedInUser;
  let patientId: string;
  let ptPatientId: string;
  let draft: { id: string; version: number };
  let inCare: { id: string; version: number };
  let accepted: { id: string; version: number };
  /** A referral of its own for the case that would change it if validation let it through. */
  let acceptedSpare: { id: string; version: number };

  const counts = async () => ({
    patients: await countRows(sql, 'patients'),
    consents: await countRows(sql, 'patient_consents'),
    referrals: await countRows(sql, 'referrals'),
    events: await countRows(sql, 'referral_events'),
    versions: (await sql.query(`SELECT id, version, status FROM referrals ORDER BY id`)).rows,
    patientRows: (
      await sql.query(
        `SELECT id, first_name, last_name, date_of_birth::text, email, phone, preferred_contact FROM patients ORDER BY id`,
      )
    ).rows,
  });

  const send = (method: 'post' | 'patch', url: string, input: unknown) => {
    const req = t.http[method](url).set(lmt.auth);
    if (typeof input === 'string') return req.set('Content-Type', 'application/json').send(input);
    return req.send(input as object);
  };

  function expectRefused(res: { status: number; headers: Record<string, string>; body: Record<string, unknown> }, c: BadCase) {
    expect({ case: c.name, status: res.status, code: res.body.code }).toEqual({
      case: c.name,
      status: 400,
      code: 'validation_failed',
    });
    expectProblem(res, 400, 'validation_failed');
    if (c.field !== null) {
      const fields = ((res.body.errors as { field: string; message: string }[]) ?? []).map((e) => e.field);
      expect({ case: c.name, fields }).toEqual({ case: c.name, fields: expect.arrayContaining([c.field]) });
      for (const e of res.body.errors as { message: unknown }[]) expect(typeof e.message).toBe('string');
    }
    if (c.errors) expect({ case: c.name, errors: res.body.errors }).toEqual({ case: c.name, errors: c.errors });
  }

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    const massageClinic = await registerClinic(t.http);
    const ptClinic = await registerClinic(t.http);
    const otherMassage = await registerClinic(t.http);
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    lmt2 = await addPractitioner(t.http, otherMassage, 'massage_therapist');
    patientId = (await createPatient(t.http, lmt)).id;
    ptPatientId = (await createPatient(t.http, pt)).id;
    draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    let r = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    r = await actOk(t.http, lmt, r, 'send');
    accepted = await actOk(t.http, pt, r, 'accept');
    r = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    r = await actOk(t.http, lmt, r, 'send');
    acceptedSpare = await actOk(t.http, pt, r, 'accept');
    r = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    r = await actOk(t.http, lmt, r, 'send');
    r = await actOk(t.http, pt, r, 'accept');
    r = await actOk(t.http, pt, r, 'schedule', { appointmentAt: inDays(2) });
    inCare = await actOk(t.http, pt, r, 'start-care');
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  const validPatient = () => ({
    firstName: 'Jamie',
    lastName: 'Rivera',
    dateOfBirth: dateInDays(-30 * 365),
    preferredContact: 'email',
  });

  const bodyBasics: BadCase[] = [
    { name: 'a JSON array', input: () => '[]', field: 'body' },
    { name: 'JSON null', input: () => 'null', field: 'body' },
    { name: 'a JSON string', input: () => '"hello"', field: 'body' },
    { name: 'broken JSON', input: () => '{"firstName": ', field: null },
    { name: '__proto__ at the top level', input: () => '{"__proto__": {"isAdmin": true}}', field: null },
    { name: 'constructor.prototype', input: () => '{"constructor": {"prototype": {"isAdmin": true}}}', field: null },
  ];

  describe('POST /patients', () => {
    const cases: BadCase[] = [
      ...bodyBasics,
      {
        name: 'missing firstName',
        input: () => ({ ...validPatient(), firstName: undefined }),
        field: 'firstName',
        errors: [{ field: 'firstName', message: 'is required' }],
      },
      { name: 'missing dateOfBirth', input: () => ({ ...validPatient(), dateOfBirth: undefined }), field: 'dateOfBirth' },
      {
        name: 'missing preferredContact',
        input: () => ({ ...validPatient(), preferredContact: undefined }),
        field: 'preferredContact',
      },
      { name: 'unknown field', input: () => ({ ...validPatient(), nickname: 'JJ' }), field: 'nickname' },
      {
        name: 'clinicId is not the caller’s to set',
        input: () => ({ ...validPatient(), clinicId: lmt2.clinicId }),
        field: 'clinicId',
      },
      { name: 'firstName a number', input: () => ({ ...validPatient(), firstName: 42 }), field: 'firstName' },
      { name: 'firstName empty', input: () => ({ ...validPatient(), firstName: '' }), field: 'firstName' },
      { name: 'firstName null', input: () => ({ ...validPatient(), firstName: null }), field: 'firstName' },
      { name: 'lastName an object', input: () => ({ ...validPatient(), lastName: { first: 'x' } }), field: 'lastName' },
      { name: 'firstName too long', input: () => ({ ...validPatient(), firstName: 'x'.repeat(101) }), field: 'firstName' },
      {
        name: 'firstName with a NUL character',
        input: () => ({ ...validPatient(), firstName: 'Ja\u0000mie' }),
        field: 'firstName',
      },
      { name: 'dateOfBirth 30 February', input: () => ({ ...validPatient(), dateOfBirth: FEB_30 }), field: 'dateOfBirth' },
      {
        name: 'dateOfBirth in the future',
        input: () => ({ ...validPatient(), dateOfBirth: dateInDays(2) }),
        field: 'dateOfBirth',
      },
      { name: 'dateOfBirth a date-time', input: () => ({ ...validPatient(), dateOfBirth: inDays(-9000) }), field: 'dateOfBirth' },
      { name: 'dateOfBirth a number', input: () => ({ ...validPatient(), dateOfBirth: 19900101 }), field: 'dateOfBirth' },
      { name: 'dateOfBirth in year 1', input: () => ({ ...validPatient(), dateOfBirth: '0001-01-01' }), field: 'dateOfBirth' },
      { name: 'email not an email', input: () => ({ ...validPatient(), email: 'jamie-at-example' }), field: 'email' },
      { name: 'phone with letters', input: () => ({ ...validPatient(), phone: 'call me maybe' }), field: 'phone' },
      {
        name: 'preferredContact not in the list',
        input: () => ({ ...validPatient(), preferredContact: 'pigeon' }),
        field: 'preferredContact',
      },
      { name: 'consents not an array', input: () => ({ ...validPatient(), consents: 'referral_sharing' }), field: 'consents' },
      // Each was a 500: the empty array in the list passed validation as a list of no consents.
      { name: 'a consent that is an empty array', input: () => ({ ...validPatient(), consents: [[]] }), field: 'consents' },
      { name: 'a consent that is a nested array', input: () => ({ ...validPatient(), consents: [[[]]] }), field: 'consents' },
      {
        name: 'a consent that is an array of a consent',
        input: () => ({ ...validPatient(), consents: [[{ scope: 'referral_sharing' }]] }),
        field: 'consents',
      },
      { name: 'a consent that is null', input: () => ({ ...validPatient(), consents: [null] }), field: 'consents' },
      {
        name: 'consent scope not in the list',
        input: () => ({ ...validPatient(), consents: [{ scope: 'marketing' }] }),
        field: 'consents.0.scope',
      },
      {
        name: 'consent with an unknown field',
        input: () => ({ ...validPatient(), consents: [{ scope: 'referral_sharing', revokedAt: inDays(1) }] }),
        field: 'consents.0.revokedAt',
      },
      {
        name: 'consent grantedAt not a date-time',
        input: () => ({ ...validPatient(), consents: [{ scope: 'referral_sharing', grantedAt: 'yesterday' }] }),
        field: 'consents.0.grantedAt',
      },
      {
        // Not yet given, so not in effect: it must not let a referral be sent.
        name: 'consent granted in the future',
        input: () => ({
          ...validPatient(),
          consents: [{ scope: 'patient_notifications' }, { scope: 'referral_sharing', grantedAt: '2999-01-01T00:00:00Z' }],
        }),
        field: 'consents.1.grantedAt',
      },
      {
        name: 'nested __proto__ in consents',
        input: () =>
          `{"firstName":"J","lastName":"R","dateOfBirth":"${dateInDays(-9000)}","preferredContact":"email","consents":[{"scope":"referral_sharing","__proto__":{"x":1}}]}`,
        field: null,
      },
    ];

    eachCase(
      cases,
      (c) => c.name,
      async (c) => {
        const before = await counts();
        expectRefused(await send('post', '/api/v1/patients', c.input()), c);
        expect(await counts()).toEqual(before);
      },
    );
  });

  describe('PATCH /patients/:id', () => {
    const cases: BadCase[] = [
      ...bodyBasics,
      { name: 'unknown field', input: () => ({ nickname: 'JJ' }), field: 'nickname' },
      { name: 'clinicId', input: () => ({ clinicId: lmt2.clinicId }), field: 'clinicId' },
      {
        name: 'consents (recorded through their own route)',
        input: () => ({ consents: [{ scope: 'referral_sharing' }] }),
        field: 'consents',
      },
      { name: 'id', input: () => ({ id: '00000000-0000-4000-8000-000000000000' }), field: 'id' },
      { name: 'firstName a number', input: () => ({ firstName: 42 }), field: 'firstName' },
      { name: 'firstName empty', input: () => ({ firstName: '' }), field: 'firstName' },
      { name: 'firstName null', input: () => ({ firstName: null }), field: 'firstName' },
      { name: 'lastName null', input: () => ({ lastName: null }), field: 'lastName' },
      { name: 'dateOfBirth null', input: () => ({ dateOfBirth: null }), field: 'dateOfBirth' },
      { name: 'preferredContact null', input: () => ({ preferredContact: null }), field: 'preferredContact' },
      { name: 'dateOfBirth 30 February', input: () => ({ dateOfBirth: FEB_30 }), field: 'dateOfBirth' },
      { name: 'dateOfBirth in the future', input: () => ({ dateOfBirth: dateInDays(3) }), field: 'dateOfBirth' },
      { name: 'email not an email', input: () => ({ email: 'nope' }), field: 'email' },
      { name: 'preferredContact not in the list', input: () => ({ preferredContact: 'fax' }), field: 'preferredContact' },
      { name: 'lastName with a NUL character', input: () => ({ lastName: 'Ri\u0000vera' }), field: 'lastName' },
    ];

    eachCase(
      cases,
      (c) => c.name,
      async (c) => {
        const before = await counts();
        expectRefused(await send('patch', `/api/v1/patients/${patientId}`, c.input()), c);
        expect(await counts()).toEqual(before);
      },
    );

    it('a path id that is not a UUID → 400 naming id', async () => {
      const res = await t.http.patch('/api/v1/patients/not-a-uuid').set(lmt.auth).send({ firstName: 'X' });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
    });

    it('null clears the optional email and phone (they may be empty)', async () => {
      const res = await t.http.patch(`/api/v1/patients/${patientId}`).set(lmt.auth).send({ email: null, phone: null });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ email: null, phone: null, firstName: 'Jamie' });
    });
  });

  describe('POST /patients/:id/consents', () => {
    const cases: BadCase[] = [
      ...bodyBasics,
      { name: 'missing scope', input: () => ({}), field: 'scope' },
      { name: 'scope not in the list', input: () => ({ scope: 'marketing' }), field: 'scope' },
      { name: 'scope a list', input: () => ({ scope: ['referral_sharing'] }), field: 'scope' },
      {
        name: 'grantedAt not a date-time',
        input: () => ({ scope: 'patient_notifications', grantedAt: 'last week' }),
        field: 'grantedAt',
      },
      {
        name: 'grantedAt tomorrow',
        input: () => ({ scope: 'referral_sharing', grantedAt: new Date(Date.now() + 86_400_000).toISOString() }),
        field: 'grantedAt',
      },
      {
        name: 'grantedAt without a zone',
        input: () => ({ scope: 'patient_notifications', grantedAt: inDays(-1).replace('Z', '') }),
        field: 'grantedAt',
      },
      {
        name: 'grantedAt 30 February',
        input: () => ({ scope: 'patient_notifications', grantedAt: `${FEB_30}T10:00:00Z` }),
        field: 'grantedAt',
      },
      {
        name: 'revokedAt is not granted',
        input: () => ({ scope: 'patient_notifications', revokedAt: inDays(-1) }),
        field: 'revokedAt',
      },
      {
        name: 'recordedBy is the caller',
        input: () => ({ scope: 'patient_notifications', recordedBy: lmt2.id }),
        field: 'recordedBy',
      },
    ];

    eachCase(
      cases,
      (c) => c.name,
      async (c) => {
        const before = await counts();
        expectRefused(await send('post', `/api/v1/patients/${patientId}/consents`, c.input()), c);
        expect(await counts()).toEqual(before);
      },
    );
  });

  describe('POST /referrals', () => {
    const injury = (o: Record<string, unknown> = {}) => injuryReferralBody(patientId, pt.id, o);
    const maintenance = (plan: unknown) => ({ ...maintenanceReferralBody(ptPatientId, lmt2.id), plan });
    const cases: (BadCase & { as?: () => SignedInUser })[] = [
      ...bodyBasics,
      {
        name: 'missing kind',
        input: () => injury({ kind: undefined }),
        field: 'kind',
        errors: [{ field: 'kind', message: 'is required' }],
      },
      { name: 'kind not in the list', input: () => injury({ kind: 'spa_day' }), field: 'kind' },
      {
        name: 'missing reason',
        input: () => injury({ reason: undefined }),
        field: 'reason',
        errors: [{ field: 'reason', message: 'is required' }],
      },
      { name: 'reason empty', input: () => injury({ reason: '' }), field: 'reason' },
      { name: 'reason null', input: () => injury({ reason: null }), field: 'reason' },
      { name: 'reason only white space', input: () => injury({ reason: ' \t\n ' }), field: 'reason' },
      {
        name: 'recipientInvite null and no recipientId',
        input: () => injury({ recipientId: undefined, recipientInvite: null }),
        field: 'recipientInvite',
      },
      { name: 'missing patientId', input: () => injury({ patientId: undefined }), field: 'patientId' },
      { name: 'patientId not a UUID', input: () => injury({ patientId: 'patient-1' }), field: 'patientId' },
      { name: 'recipientId a number', input: () => injury({ recipientId: 7 }), field: 'recipientId' },
      { name: 'senderId not a UUID', input: () => injury({ senderId: 'me' }), field: 'senderId' },
      { name: 'priority not in the list', input: () => injury({ priority: 'asap' }), field: 'priority' },
      { name: 'unknown field status', input: () => injury({ status: 'accepted' }), field: 'status' },
      { name: 'unknown field version', input: () => injury({ version: 7 }), field: 'version' },
      { name: 'painLevel 11', input: () => injury({ painLevel: 11 }), field: 'painLevel' },
      { name: 'painLevel -1', input: () => injury({ painLevel: -1 }), field: 'painLevel' },
      { name: 'painLevel 5.5', input: () => injury({ painLevel: 5.5 }), field: 'painLevel' },
      { name: 'painLevel a string', input: () => injury({ painLevel: '6' }), field: 'painLevel' },
      { name: 'bodyRegions not in the list', input: () => injury({ bodyRegions: ['neck', 'elbow'] }), field: 'bodyRegions' },
      {
        name: 'bodyRegions a string',
        input: () => injury({ bodyRegions: 'neck' }),
        field: 'bodyRegions',
        errors: [{ field: 'bodyRegions', message: 'must be an array' }],
      },
      {
        name: 'bodyRegions an object',
        input: () => injury({ bodyRegions: { neck: true } }),
        field: 'bodyRegions',
        errors: [{ field: 'bodyRegions', message: 'must be an array' }],
      },
      {
        name: 'redFlags a string',
        input: () => injury({ priority: 'urgent', redFlags: 'fever' }),
        field: 'redFlags',
        errors: [{ field: 'redFlags', message: 'must be an array' }],
      },
      { name: 'bodyRegions repeated', input: () => injury({ bodyRegions: ['neck', 'neck'] }), field: 'bodyRegions' },
      {
        name: 'redFlags not in the list',
        input: () => injury({ priority: 'urgent', redFlags: ['headache'] }),
        field: 'redFlags',
      },
      { name: 'observations a number', input: () => injury({ observations: 12 }), field: 'observations' },
      // Optional text, when given, says something: leave it out or send null instead.
      { name: 'observations only spaces', input: () => injury({ observations: '   ' }), field: 'observations' },
      { name: 'reason with a NUL character', input: () => injury({ reason: 'Shoulder\u0000pain' }), field: 'reason' },
      // A JSON string can spell half a surrogate pair, which has no UTF-8 form (PostgreSQL refused it in jsonb: a 500).
      { name: 'reason with a lone surrogate', input: () => injury({ reason: 'Shoulder \ud800 pain' }), field: 'reason' },
      {
        name: 'plan.precautions with a lone surrogate',
        input: () => maintenance({ frequencyWeeks: 2, focusAreas: ['neck'], pressure: 'light', precautions: 'none \udc00' }),
        field: 'plan.precautions',
        as: () => pt,
      },
      { name: 'onsetDate in the future', input: () => injury({ onsetDate: dateInDays(2) }), field: 'onsetDate' },
      { name: 'onsetDate 30 February', input: () => injury({ onsetDate: FEB_30 }), field: 'onsetDate' },
      { name: 'onsetDate in 1899', input: () => injury({ onsetDate: '1899-12-31' }), field: 'onsetDate' },
      { name: 'onsetDate a date-time', input: () => injury({ onsetDate: inDays(-3) }), field: 'onsetDate' },
      { name: 'neededBy 30 February', input: () => injury({ neededBy: FEB_30 }), field: 'neededBy' },
      { name: 'neededBy in the past', input: () => injury({ neededBy: dateInDays(-2) }), field: 'neededBy' },
      { name: 'replacesId not a UUID', input: () => injury({ replacesId: 'old' }), field: 'replacesId' },
      { name: 'plan a string', input: () => maintenance('every two weeks'), field: 'plan', as: () => pt },
      { name: 'plan a list', input: () => maintenance([{ frequencyWeeks: 2 }]), field: 'plan', as: () => pt },
      {
        name: 'plan.frequencyWeeks 0',
        input: () => maintenance({ frequencyWeeks: 0, focusAreas: ['neck'], pressure: 'light', precautions: 'none' }),
        field: 'plan.frequencyWeeks',
        as: () => pt,
      },
      {
        name: 'plan.frequencyWeeks a string',
        input: () => maintenance({ frequencyWeeks: '2', focusAreas: ['neck'], pressure: 'light', precautions: 'none' }),
        field: 'plan.frequencyWeeks',
        errors: [{ field: 'plan.frequencyWeeks', message: 'must be an integer number' }],
        as: () => pt,
      },
      {
        name: 'plan with neither frequency',
        input: () => maintenance({ focusAreas: ['neck'], pressure: 'light', precautions: 'none' }),
        field: 'plan.frequencyWeeks',
        errors: [{ field: 'plan.frequencyWeeks', message: 'give frequencyWeeks (every N weeks) or sessionsPerWeek' }],
        as: () => pt,
      },
      {
        name: 'plan with both frequencies',
        input: () =>
          maintenance({ frequencyWeeks: 2, sessionsPerWeek: 1, focusAreas: ['neck'], pressure: 'light', precautions: 'none' }),
        field: 'plan.frequencyWeeks',
        errors: [{ field: 'plan.frequencyWeeks', message: 'give either frequencyWeeks or sessionsPerWeek, not both' }],
        as: () => pt,
      },
      {
        name: 'plan.goals with a blank goal',
        input: () =>
          maintenance({
            frequencyWeeks: 2,
            focusAreas: ['neck'],
            pressure: 'light',
            precautions: 'none',
            goals: ['Walk', ' \u200b '],
          }),
        field: 'plan.goals',
        as: () => pt,
      },
      {
        name: 'plan without precautions',
        input: () => maintenance({ frequencyWeeks: 2, focusAreas: ['neck'], pressure: 'light' }),
        field: 'plan.precautions',
        as: () => pt,
      },
      {
        name: 'plan.goals a string',
        input: () =>
          maintenance({ frequencyWeeks: 2, focusAreas: ['neck'], pressure: 'light', precautions: 'none', goals: 'walk' }),
        field: 'plan.goals',
        errors: [{ field: 'plan.goals', message: 'must be an array' }],
        as: () => pt,
      },
      {
        name: 'plan.contraindications a string',
        input: () =>
          maintenance({
            frequencyWeeks: 2,
            focusAreas: ['neck'],
            pressure: 'light',
            precautions: 'none',
            contraindications: 'pregnancy',
          }),
        field: 'plan.contraindications',
        errors: [{ field: 'plan.contraindications', message: 'must be an array' }],
        as: () => pt,
      },
      {
        name: 'plan.focusAreas not in the list',
        input: () => maintenance({ frequencyWeeks: 2, focusAreas: ['aura'], pressure: 'light', precautions: 'none' }),
        field: 'plan.focusAreas',
        as: () => pt,
      },
      {
        name: 'plan.sessions 0',
        input: () =>
          maintenance({ frequencyWeeks: 2, sessions: 0, focusAreas: ['neck'], pressure: 'light', precautions: 'none' }),
        field: 'plan.sessions',
        as: () => pt,
      },
      {
        name: 'plan with an unknown field',
        input: () => maintenance({ frequencyWeeks: 2, focusAreas: ['neck'], pressure: 'light', precautions: 'none', price: 90 }),
        field: 'plan.price',
        as: () => pt,
      },
      { name: 'plan null on a maintenance referral', input: () => maintenance(null), field: 'plan', as: () => pt },
    ];

    eachCase(
      cases,
      (c) => c.name,
      async (c) => {
        const before = await counts();
        const user = c.as?.() ?? lmt;
        const input = c.input();
        const req = t.http.post('/api/v1/referrals').set(user.auth);
        const res =
          typeof input === 'string'
            ? await req.set('Content-Type', 'application/json').send(input)
            : await req.send(input as object);
        expectRefused(res, c);
        expect(await counts()).toEqual(before);
      },
    );
  });

  describe('POST /referrals/:id/<action>', () => {
    const cases: (BadCase & { action: string; target: () => { id: string; version: number }; as: () => SignedInUser })[] = [
      {
        name: 'version a string',
        action: 'send',
        input: () => ({ version: '1' }),
        field: 'version',
        errors: [{ field: 'version', message: 'must be an integer number' }],
        target: () => draft,
        as: () => lmt,
      },
      { name: 'version 0', action: 'send', input: () => ({ version: 0 }), field: 'version', target: () => draft, as: () => lmt },
      {
        name: 'version 1.5',
        action: 'send',
        input: () => ({ version: 1.5 }),
        field: 'version',
        target: () => draft,
        as: () => lmt,
      },
      { name: 'missing version', action: 'send', input: () => ({}), field: 'version', target: () => draft, as: () => lmt },
      {
        name: 'unknown field',
        action: 'send',
        input: () => ({ version: draft.version, status: 'sent' }),
        field: 'status',
        target: () => draft,
        as: () => lmt,
      },
      {
        name: 'a field send does not take',
        action: 'send',
        input: () => ({ version: draft.version, reason: 'because' }),
        field: 'reason',
        target: () => draft,
        as: () => lmt,
      },
      {
        name: 'cancel without a reason',
        action: 'cancel',
        input: () => ({ version: draft.version }),
        field: 'reason',
        target: () => draft,
        as: () => lmt,
      },
      {
        name: 'reason empty',
        action: 'cancel',
        input: () => ({ version: draft.version, reason: '' }),
        field: 'reason',
        target: () => draft,
        as: () => lmt,
      },
      {
        name: 'reason a number',
        action: 'cancel',
        input: () => ({ version: draft.version, reason: 5 }),
        field: 'reason',
        target: () => draft,
        as: () => lmt,
      },
      {
        name: '__proto__',
        action: 'send',
        input: () => `{"version": ${draft.version}, "__proto__": {"admin": true}}`,
        field: null,
        target: () => draft,
        as: () => lmt,
      },
      { name: 'a JSON array', action: 'send', input: () => '[1]', field: 'body', target: () => draft, as: () => lmt },
      {
        name: 'note a number',
        action: 'add-note',
        input: () => ({ version: accepted.version, note: 42 }),
        field: 'note',
        target: () => accepted,
        as: () => pt,
      },
      {
        name: 'add-note without a note',
        action: 'add-note',
        input: () => ({ version: accepted.version }),
        field: 'note',
        target: () => accepted,
        as: () => pt,
      },
      {
        name: 'appointmentAt not a date-time',
        action: 'schedule',
        input: () => ({ version: accepted.version, appointmentAt: 'tomorrow' }),
        field: 'appointmentAt',
        target: () => accepted,
        as: () => pt,
      },
      {
        name: 'appointmentAt without a zone',
        action: 'schedule',
        input: () => ({ version: accepted.version, appointmentAt: inDays(2).replace('Z', '') }),
        field: 'appointmentAt',
        target: () => accepted,
        as: () => pt,
      },
      {
        name: 'appointmentAt a date only',
        action: 'schedule',
        input: () => ({ version: accepted.version, appointmentAt: dateInDays(2) }),
        field: 'appointmentAt',
        target: () => accepted,
        as: () => pt,
      },
      {
        name: 'appointmentAt 30 February',
        action: 'schedule',
        input: () => ({ version: accepted.version, appointmentAt: `${FEB_30}T10:00:00Z` }),
        field: 'appointmentAt',
        target: () => accepted,
        as: () => pt,
      },
      {
        name: 'appointmentAt 30 February next year',
        action: 'schedule',
        input: () => ({ version: acceptedSpare.version, appointmentAt: FEB_30_NEXT_YEAR }),
        field: 'appointmentAt',
        target: () => acceptedSpare,
        as: () => pt,
      },
      {
        name: 'appointmentAt in the past',
        action: 'schedule',
        input: () => ({ version: accepted.version, appointmentAt: inDays(-2) }),
        field: 'appointmentAt',
        target: () => accepted,
        as: () => pt,
      },
      {
        name: 'appointmentAt in year 9999',
        action: 'schedule',
        input: () => ({ version: accepted.version, appointmentAt: '9999-12-31T23:59:59Z' }),
        field: 'appointmentAt',
        target: () => accepted,
        as: () => pt,
      },
      {
        name: 'outcome without summary',
        action: 'send-outcome',
        input: () => ({ version: inCare.version, outcome: { recommendations: 'rest' } }),
        field: 'outcome.summary',
        target: () => inCare,
        as: () => pt,
      },
      {
        name: 'outcome a string',
        action: 'send-outcome',
        input: () => ({ version: inCare.version, outcome: 'all better' }),
        field: 'outcome',
        target: () => inCare,
        as: () => pt,
      },
      {
        name: 'outcome.summary empty',
        action: 'send-outcome',
        input: () => ({ version: inCare.version, outcome: { summary: '' } }),
        field: 'outcome.summary',
        target: () => inCare,
        as: () => pt,
      },
      {
        name: 'outcome.psfs in exponent form',
        action: 'send-outcome',
        input: () => ({ version: inCare.version, outcome: { summary: 'ok', psfs: 1e-7 } }),
        field: 'outcome.psfs',
        target: () => inCare,
        as: () => pt,
      },
      {
        name: 'outcome with an unknown field',
        action: 'send-outcome',
        input: () => ({ version: inCare.version, outcome: { summary: 'ok', sentAt: inDays(-1) } }),
        field: 'outcome.sentAt',
        target: () => inCare,
        as: () => pt,
      },
      {
        name: 'send-outcome without an outcome',
        action: 'send-outcome',
        input: () => ({ version: inCare.version }),
        field: 'outcome',
        target: () => inCare,
        as: () => pt,
      },
      {
        name: 'If-Match that is not a version',
        action: 'start-care',
        input: () => ({ ifMatch: 'W/"abc"' }),
        field: 'If-Match',
        target: () => inCare,
        as: () => pt,
      },
    ];

    eachCase(
      cases,
      (c) => `${c.action}: ${c.name}`,
      async (c) => {
        const before = await counts();
        const input = c.input();
        const req = t.http.post(`/api/v1/referrals/${c.target().id}/${c.action}`).set(c.as().auth);
        let res;
        if (typeof input === 'string') res = await req.set('Content-Type', 'application/json').send(input);
        else if ('ifMatch' in (input as object)) res = await req.set('If-Match', (input as { ifMatch: string }).ifMatch).send({});
        else res = await req.send(input as object);
        expectRefused(res, c);
        expect(await counts()).toEqual(before);
      },
    );

    it('a path id that is not a UUID → 400 naming id', async () => {
      const res = await t.http.post('/api/v1/referrals/123/send').set(lmt.auth).send({ version: 1 });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
    });

    it('takes date-times with seven to nine fraction digits, as .NET, Java and Go write them', async () => {
      let r = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
      r = await actOk(t.http, lmt, r, 'send');
      r = await actOk(t.http, pt, r, 'accept');
      const at = inDays(3); // milliseconds: the six digits added make nanoseconds
      r = await actOk(t.http, pt, r, 'schedule', { appointmentAt: at.replace('Z', '456789Z') });
      expect(r.appointmentAt).toBe(at);
      const later = inDays(4);
      r = await actOk(t.http, pt, r, 'reschedule', { appointmentAt: later.replace('Z', '4567+00:00') });
      expect(r.appointmentAt).toBe(later);
      const since = new Date(Date.now() - 60_000).toISOString().replace('Z', '4567Z');
      const list = await t.http.get('/api/v1/referrals').query({ updatedSince: since }).set(pt.auth).expect(200);
      expect(list.body.items.map((i: { id: string }) => i.id)).toContain(r.id);
    });
  });

  describe('GET /referrals query', () => {
    const cases: BadCase[] = [
      { name: 'box not in the list', input: () => ({ box: 'outbox' }), field: 'box' },
      { name: 'box twice', input: () => 'box=sent&box=received', field: 'box' },
      { name: 'status not in the list', input: () => ({ status: 'pending' }), field: 'status' },
      { name: 'one bad status in a list', input: () => ({ status: 'sent,bogus' }), field: 'status' },
      { name: 'an empty item in a status list', input: () => ({ status: 'accepted,,' }), field: 'status' },
      { name: 'status empty', input: () => ({ status: '' }), field: 'status' },
      { name: 'kind not in the list', input: () => ({ kind: 'spa_day' }), field: 'kind' },
      { name: 'patientId not a UUID', input: () => ({ patientId: 'p-1' }), field: 'patientId' },
      { name: 'updatedSince not a date-time', input: () => ({ updatedSince: 'yesterday' }), field: 'updatedSince' },
      {
        name: 'updatedSince without a zone',
        input: () => ({ updatedSince: inDays(-1).replace('Z', '') }),
        field: 'updatedSince',
      },
      { name: 'updatedSince 30 February', input: () => ({ updatedSince: `${FEB_30}T00:00:00Z` }), field: 'updatedSince' },
      { name: 'limit 0', input: () => ({ limit: 0 }), field: 'limit' },
      { name: 'limit 101', input: () => ({ limit: 101 }), field: 'limit' },
      { name: 'limit not a number', input: () => ({ limit: 'ten' }), field: 'limit' },
      { name: 'limit 2.5', input: () => ({ limit: 2.5 }), field: 'limit' },
      { name: 'limit in exponent form', input: () => ({ limit: '1e1' }), field: 'limit' },
      { name: 'limit in hexadecimal', input: () => ({ limit: '0x10' }), field: 'limit' },
      { name: 'limit with a leading space', input: () => ({ limit: ' 5' }), field: 'limit' },
      { name: 'cursor garbage', input: () => ({ cursor: '!!!not-a-cursor!!!' }), field: 'cursor' },
      { name: 'cursor of the wrong shape', input: () => ({ cursor: cursorOf({ a: 1 }) }), field: 'cursor' },
      {
        name: 'cursor with a bad timestamp and id',
        input: () => ({ cursor: cursorOf(['referrals', 'not-a-time', 'not-a-uuid']) }),
        field: 'cursor',
      },
      {
        name: 'cursor with a good timestamp and a bad id',
        input: () => ({ cursor: cursorOf(['referrals', new Date().toISOString(), 'nope']) }),
        field: 'cursor',
      },
      { name: 'cursor with numbers', input: () => ({ cursor: cursorOf(['referrals', 1, 2]) }), field: 'cursor' },
      { name: 'cursor too long', input: () => ({ cursor: 'a'.repeat(501) }), field: 'cursor' },
      { name: 'unknown parameter', input: () => ({ sort: 'createdAt' }), field: 'sort' },
    ];

    eachCase(
      cases,
      (c) => c.name,
      async (c) => {
        const before = await counts();
        const req = t.http.get('/api/v1/referrals').set(lmt.auth);
        const input = c.input();
        const res = typeof input === 'string' ? await req.query(input) : await req.query(input as Record<string, string>);
        expectRefused(res, c);
        expect(await counts()).toEqual(before);
      },
    );

    it('GET /referrals/:id/events pages the timeline (limit, cursor) and refuses bad paging like every list', async () => {
      const url = `/api/v1/referrals/${inCare.id}/events`;
      const all = (await t.http.get(url).query({ limit: 100 }).set(lmt.auth).expect(200)).body as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      expect(all.items.length).toBeGreaterThan(3);
      expect(all.nextCursor).toBeNull();
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string | number> = cursor ? { limit: 2, cursor } : { limit: 2 };
        const page = (await t.http.get(url).query(query).set(lmt.auth).expect(200)).body as typeof all;
        expect(page.items.length).toBeLessThanOrEqual(2);
        walked.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(walked).toEqual(all.items.map((e) => e.id));
      for (const [query, field] of [
        [{ limit: 0 }, 'limit'],
        [{ limit: 101 }, 'limit'],
        [{ limit: 'abc' }, 'limit'],
        [{ cursor: 'bad' }, 'cursor'],
        [{ cursor: cursorOf(['events', new Date().toISOString(), 'nope']) }, 'cursor'],
        [{ foo: '1' }, 'foo'],
      ] as const) {
        const res = await t.http.get(url).query(query).set(lmt.auth);
        expectProblem(res, 400, 'validation_failed');
        expect([...new Set((res.body.errors as { field: string }[]).map((e) => e.field))]).toEqual([field]);
      }
    });

    it('GET /patients with a forged cursor → 400 naming cursor (never a 500)', async () => {
      for (const cursor of [
        cursorOf(['Rivera', 'Jamie', 'not-a-uuid']),
        cursorOf(['Rivera', 'Jamie', patientId]),
        cursorOf(['not-a-uuid']),
        cursorOf([1, 2, 3]),
        'zzz',
      ]) {
        const res = await t.http.get('/api/v1/patients').query({ cursor }).set(lmt.auth);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
      }
    });
  });
});
