import { randomBytes } from 'node:crypto';
import { clinicPayload, PASSWORD, uniqueEmail } from '@referloop/testing';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

// The caller's own clinic: read by everyone in it, changed by its admins, patched field by field.

describe('clinics', () => {
  let t: TestApp;
  let clinic: TestClinic;
  let other: TestClinic;
  let lmt: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    clinic = await registerClinic(t.http, { name: 'Harbor Wellness', city: 'Austin', postalCode: '78701' });
    other = await registerClinic(t.http, { name: 'Other Clinic' });
    lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
  });
  afterAll(() => t.close());

  const getOwn = async (who: { auth: Record<string, string> }) =>
    (await t.http.get('/api/v1/clinics/me').set(who.auth).expect(200)).body;

  it('GET /clinics/me answers the caller’s clinic, for the admin and for a practitioner', async () => {
    const forAdmin = await getOwn(clinic.admin);
    expect(forAdmin).toEqual({
      id: clinic.clinicId,
      name: 'Harbor Wellness',
      address: { line1: '100 Congress Ave', city: 'Austin', region: 'TX', postalCode: '78701', country: 'US' },
      phone: '+1 512 555 0100',
      timezone: 'America/Chicago',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(new Date(forAdmin.createdAt).toISOString()).toBe(forAdmin.createdAt);
    expect(await getOwn(lmt)).toEqual(forAdmin);
    expect((await getOwn(other.admin)).id).toBe(other.clinicId);
  });

  it('PATCH /clinics/me changes the given fields and keeps the others', async () => {
    const before = await getOwn(clinic.admin);
    const res = await t.http
      .patch('/api/v1/clinics/me')
      .set(clinic.admin.auth)
      .send({ name: 'Harbor Wellness & Rehab', phone: '+1 (512) 555-0199', timezone: 'America/Denver' })
      .expect(200);
    expect(res.body).toMatchObject({
      id: clinic.clinicId,
      name: 'Harbor Wellness & Rehab',
      phone: '+1 (512) 555-0199',
      timezone: 'America/Denver',
      address: before.address,
      createdAt: before.createdAt,
    });
    expect(new Date(res.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(before.updatedAt).getTime());
    expect(await getOwn(lmt)).toEqual(res.body);
  });

  it('patches part of the address and keeps the rest of it', async () => {
    const before = await getOwn(clinic.admin);
    const res = await t.http
      .patch('/api/v1/clinics/me')
      .set(clinic.admin.auth)
      .send({ address: { city: 'Round Rock', postalCode: '78664' } })
      .expect(200);
    expect(res.body.address).toEqual({ ...before.address, city: 'Round Rock', postalCode: '78664' });
    expect(res.body.name).toBe(before.name);
    expect((await getOwn(clinic.admin)).address).toEqual(res.body.address);
  });

  it('stores a country code in capitals, at sign-up as on a change ("us" is US)', async () => {
    const res = await t.http
      .patch('/api/v1/clinics/me')
      .set(clinic.admin.auth)
      .send({ address: { country: 'ca' } })
      .expect(200);
    expect(res.body.address.country).toBe('CA');
    await t.http
      .patch('/api/v1/clinics/me')
      .set(clinic.admin.auth)
      .send({ address: { country: 'US' } })
      .expect(200);
    const sample = clinicPayload();
    const registered = await t.http
      .post('/api/v1/auth/register-clinic')
      .send({
        clinic: { ...sample, address: { ...sample.address, country: 'us' } },
        admin: { email: uniqueEmail('country'), password: PASSWORD, fullName: 'Casey Country' },
      })
      .expect(201);
    expect(registered.body.clinic.address.country).toBe('US');
    expectProblem(
      await t.http
        .patch('/api/v1/clinics/me')
        .set(clinic.admin.auth)
        .send({ address: { country: 'xx' } }),
      400,
      'validation_failed',
    );
  });

  it('takes the IANA spellings of zones that ICU still names the old way (Asia/Kolkata, not only Asia/Calcutta), at sign-up as on a change', async () => {
    const before = await getOwn(clinic.admin);
    const registered = await t.http
      .post('/api/v1/auth/register-clinic')
      .send({
        clinic: { ...clinicPayload(), timezone: 'Asia/Kolkata' },
        admin: { email: uniqueEmail('kolkata'), password: PASSWORD, fullName: 'Kavya Kolkata' },
      })
      .expect(201);
    expect(registered.body.clinic.timezone).toBe('Asia/Kolkata');
    for (const timezone of ['Europe/Kyiv', 'America/Argentina/Buenos_Aires', 'Asia/Kathmandu', 'Etc/UTC', 'Asia/Calcutta']) {
      const res = await t.http.patch('/api/v1/clinics/me').set(clinic.admin.auth).send({ timezone }).expect(200);
      expect(res.body.timezone).toBe(timezone);
    }
    // A case variant of a known zone, an unknown one and a bare abbreviation stay refused, naming the field.
    for (const timezone of ['america/new_york', 'Asia/Atlantis', 'EST', 'Asia/../Kolkata']) {
      const res = await t.http.patch('/api/v1/clinics/me').set(clinic.admin.auth).send({ timezone });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'timezone', message: 'must be an IANA time zone such as America/Chicago' }]);
    }
    await t.http.patch('/api/v1/clinics/me').set(clinic.admin.auth).send({ timezone: before.timezone }).expect(200);
  });

  it('an empty patch changes nothing', async () => {
    const before = await getOwn(clinic.admin);
    const res = await t.http.patch('/api/v1/clinics/me').set(clinic.admin.auth).send({}).expect(200);
    expect(res.body).toEqual(before);
  });

  it('changes only the caller’s clinic', async () => {
    const otherBefore = await getOwn(other.admin);
    await t.http.patch('/api/v1/clinics/me').set(other.admin.auth).send({ name: 'Other Clinic Renamed' }).expect(200);
    expect((await getOwn(clinic.admin)).name).toBe('Harbor Wellness & Rehab');
    expect(await getOwn(other.admin)).toMatchObject({
      ...otherBefore,
      name: 'Other Clinic Renamed',
      updatedAt: expect.any(String),
    });
  });

  it('the directory shows the clinic as changed', async () => {
    const city = `Lakeway ${randomBytes(3).toString('hex')}`;
    await t.http.patch('/api/v1/clinics/me').set(clinic.admin.auth).send({ address: { city } }).expect(200);
    const res = await t.http.get('/api/v1/practitioners').query({ city }).set(other.admin.auth).expect(200);
    expect(res.body.items.map((p: { id: string }) => p.id)).toEqual([lmt.id]);
    expect(res.body.items[0].clinic).toMatchObject({ id: clinic.clinicId, name: 'Harbor Wellness & Rehab', city });
  });

  it('a practitioner may read but not change it', async () => {
    const before = await getOwn(clinic.admin);
    const res = await t.http
      .patch('/api/v1/clinics/me')
      .set(lmt.auth)
      .send({ address: { city: 'Nowhere' } })
      .expect(403);
    expect(res.body.code).toBe('forbidden');
    expect(await getOwn(clinic.admin)).toEqual(before);
  });
});
