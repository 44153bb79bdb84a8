import { randomBytes } from 'node:crypto';
import { clinicPayload, isoDateFrom, lapsedLicenceDate, PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import { act, actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

// The practitioner directory (filters, cursor pagination, who sees emails) and profile edits.

interface Listed {
  id: string;
  fullName: string;
  role: string;
  email?: string;
  clinicId: string;
}

describe('practitioners', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  /** Invites a practitioner who then joins (someone invited but not yet joined is not listed). */
  async function invite(
    clinic: TestClinic,
    role: 'massage_therapist' | 'physical_therapist',
    overrides: Record<string, unknown>,
  ): Promise<Listed> {
    const res = await t.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .send(practitionerPayload(role, new Date(), overrides))
      .expect(201);
    await t.http
      .post('/api/v1/auth/accept-invitation')
      .send({ token: res.body.invitation.token, password: PASSWORD })
      .expect(200);
    return res.body;
  }

  async function list(
    viewer: { auth: Record<string, string> },
    query: Record<string, string | number | boolean>,
  ): Promise<{ items: Listed[]; nextCursor: string | null }> {
    const res = await t.http.get('/api/v1/practitioners').query(query).set(viewer.auth).expect(200);
    return res.body;
  }
  const names = (page: { items: Listed[] }) => page.items.map((p) => p.fullName).sort();

  describe('directory filters', () => {
    const tag = `t${randomBytes(4).toString('hex')}`;
    const northCity = `Northtown ${tag}`;
    let north: TestClinic;
    let south: TestClinic;
    const n = { alex: `Alex Strong ${tag}`, blake: `Blake Calm ${tag}` };
    const s = { casey: `Casey Gentle ${tag}`, drew: `Drew Able ${tag}` };

    beforeAll(async () => {
      north = await registerClinic(t.http, { name: `North Rehab ${tag}`, city: northCity, postalCode: 'K1A 0B1' });
      south = await registerClinic(t.http, { name: `South Massage ${tag}`, city: `Southville ${tag}`, postalCode: '78701' });
      await invite(north, 'physical_therapist', {
        fullName: n.alex,
        specialties: ['sports_injury', 'back_neck'],
        acceptingReferrals: true,
        bio: 'Runners and knees',
      });
      await invite(north, 'massage_therapist', {
        fullName: n.blake,
        specialties: ['deep_tissue'],
        acceptingReferrals: false,
        bio: null,
      });
      await invite(south, 'massage_therapist', {
        fullName: s.casey,
        specialties: ['prenatal', 'deep_tissue'],
        acceptingReferrals: true,
        bio: 'Gentle prenatal care',
      });
      await invite(south, 'physical_therapist', {
        fullName: s.drew,
        specialties: ['post_surgical'],
        acceptingReferrals: true,
        bio: 'After 50% of surgeries',
      });
    });

    it('lists practitioners of every clinic, never admins', async () => {
      const page = await list(north.admin, { q: tag });
      expect(names(page)).toEqual([n.alex, n.blake, s.casey, s.drew].sort());
      expect(page.items.every((p) => p.role !== 'clinic_admin')).toBe(true);
      expect(page.nextCursor).toBeNull();
    });

    it('filters by type', async () => {
      expect(names(await list(north.admin, { q: tag, type: 'physical_therapist' }))).toEqual([n.alex, s.drew]);
      expect(names(await list(north.admin, { q: tag, type: 'massage_therapist' }))).toEqual([n.blake, s.casey]);
    });

    it('filters by specialty', async () => {
      expect(names(await list(north.admin, { q: tag, specialty: 'deep_tissue' }))).toEqual([n.blake, s.casey]);
      expect(names(await list(north.admin, { q: tag, specialty: 'sciatica' }))).toEqual([]);
    });

    it('filters by city, ignoring letter case', async () => {
      expect(names(await list(south.admin, { city: northCity }))).toEqual([n.alex, n.blake]);
      expect(names(await list(south.admin, { city: northCity.toUpperCase() }))).toEqual([n.alex, n.blake]);
    });

    it('matches names and cities accents aside, as people type them', async () => {
      // A tag of its own: the other filters' lists stay as they are.
      const own = `a${randomBytes(4).toString('hex')}`;
      const accented = await registerClinic(t.http, {
        name: `Clinique Étoile ${own}`,
        city: `Montréal ${own}`,
        postalCode: 'H2X 1Y4',
      });
      const jose = `José Müller ${own}`;
      await invite(accented, 'physical_therapist', {
        fullName: jose,
        specialties: ['back_neck'],
        acceptingReferrals: true,
        bio: null,
      });
      for (const q of [`jose muller ${own}`, `JOSÉ MÜLLER ${own}`, `Jose Müller ${own}`, `etoile ${own}`]) {
        expect(names(await list(south.admin, { q }))).toEqual([jose]);
      }
      expect(names(await list(south.admin, { city: `montreal ${own}` }))).toEqual([jose]);
    });

    it('lists names as people read them (case and accents aside), page after page, without surrounding spaces', async () => {
      const own = `a${randomBytes(4).toString('hex')}`;
      const clinic = await registerClinic(t.http, { name: `Order ${own}`, city: `Order ${own}`, postalCode: 'K1A 0B1' });
      for (const first of ['zoe', 'Émile', ' Dana', 'eva']) {
        await invite(clinic, 'physical_therapist', {
          fullName: `${first} ${own}`,
          specialties: ['back_neck'],
          acceptingReferrals: true,
          bio: null,
        });
      }
      const expected = ['Dana', 'Émile', 'eva', 'zoe'].map((first) => `${first} ${own}`);
      const inOrder = (page: { items: Listed[] }) => page.items.map((p) => p.fullName);
      expect(inOrder(await list(south.admin, { q: own }))).toEqual(expected);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await list(south.admin, { q: own, limit: 1, ...(cursor ? { cursor } : {}) });
        paged.push(...inOrder(page));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged).toEqual(expected);
    });

    it('filters by postal code, ignoring spaces and letter case', async () => {
      for (const postalCode of ['K1A 0B1', 'k1a0b1', 'K1A0B1']) {
        expect(names(await list(south.admin, { q: tag, postalCode }))).toEqual([n.alex, n.blake]);
      }
      // A US ZIP+4 is its ZIP's area, with or without the hyphen.
      for (const postalCode of ['78701', '78701-1234', '787011234']) {
        expect(names(await list(north.admin, { q: tag, postalCode }))).toEqual([s.casey, s.drew]);
      }
      expect(names(await list(south.admin, { q: tag, postalCode: 'K1A 0B2' }))).toEqual([]);
    });

    it('filters by acceptingReferrals', async () => {
      expect(names(await list(north.admin, { q: tag, acceptingReferrals: false }))).toEqual([n.blake]);
      expect(names(await list(north.admin, { q: tag, acceptingReferrals: true }))).toEqual([n.alex, s.casey, s.drew].sort());
    });

    it('searches q over the name, the clinic name and the bio, case-insensitively', async () => {
      expect(names(await list(north.admin, { q: `casey gentle ${tag}` }))).toEqual([s.casey]);
      expect(names(await list(north.admin, { q: `south massage ${tag}` }))).toEqual([s.casey, s.drew]);
      expect(names(await list(north.admin, { q: 'runners and KNEES', city: northCity }))).toEqual([n.alex]);
    });

    it('treats % and _ in q as plain characters', async () => {
      expect(names(await list(north.admin, { q: '50%', city: `Southville ${tag}` }))).toEqual([s.drew]);
      expect(names(await list(north.admin, { q: '%', city: northCity }))).toEqual([]);
      expect(names(await list(north.admin, { q: '_', city: northCity }))).toEqual([]);
    });

    it('combines filters', async () => {
      const page = await list(south.admin, {
        q: tag,
        type: 'massage_therapist',
        specialty: 'deep_tissue',
        acceptingReferrals: true,
      });
      expect(names(page)).toEqual([s.casey]);
    });

    it('shows email addresses only within the viewer’s own clinic', async () => {
      const seenByNorth = await list(north.admin, { q: tag });
      for (const p of seenByNorth.items) {
        if (p.clinicId === north.clinicId) expect(p.email).toMatch(/@example\.test$/);
        else expect(p).not.toHaveProperty('email');
      }
      expect(
        seenByNorth.items
          .filter((p) => p.email)
          .map((p) => p.fullName)
          .sort(),
      ).toEqual([n.alex, n.blake]);
      const seenBySouth = await list(south.admin, { q: tag });
      expect(
        seenBySouth.items
          .filter((p) => p.email)
          .map((p) => p.fullName)
          .sort(),
      ).toEqual([s.casey, s.drew]);
    });

    it('shows each practitioner with a summary of their clinic', async () => {
      const [alex] = (await list(south.admin, { q: n.alex })).items;
      expect(alex).toMatchObject({
        clinicId: north.clinicId,
        clinic: { id: north.clinicId, name: `North Rehab ${tag}`, city: northCity, postalCode: 'K1A 0B1' },
      });
    });
  });

  describe('cursor pagination', () => {
    const tag = `p${randomBytes(4).toString('hex')}`;
    let clinic: TestClinic;
    const created: Listed[] = [];

    beforeAll(async () => {
      clinic = await registerClinic(t.http, { name: `Paging ${tag}` });
      // Two share a full name: the id breaks the tie, so no page repeats or skips one.
      for (const name of ['Eve', 'Ann', 'Dee', 'Ann', 'Cal']) {
        created.push(await invite(clinic, 'massage_therapist', { fullName: `${name} ${tag}` }));
      }
    });

    it('walks every page with limit=2: no duplicates, nothing missed, sorted, nextCursor null at the end', async () => {
      const seen: Listed[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages += 1) {
        const query: Record<string, string | number> = { q: tag, limit: 2 };
        if (cursor) query.cursor = cursor;
        const page = await list(clinic.admin, query);
        sizes.push(page.items.length);
        seen.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      expect(sizes).toEqual([2, 2, 1]);
      expect(cursor).toBeNull();
      const ids = seen.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(created.map((p) => p.id).sort());
      const expectedOrder = [...created].sort((a, b) =>
        a.fullName === b.fullName ? (a.id < b.id ? -1 : 1) : a.fullName < b.fullName ? -1 : 1,
      );
      expect(ids).toEqual(expectedOrder.map((p) => p.id));
    });

    it('answers a page of exactly the remaining items with nextCursor null', async () => {
      const page = await list(clinic.admin, { q: tag, limit: 5 });
      expect(page.items).toHaveLength(5);
      expect(page.nextCursor).toBeNull();
      const first = await list(clinic.admin, { q: tag, limit: 4 });
      expect(first.nextCursor).toEqual(expect.any(String));
      const rest = await list(clinic.admin, { q: tag, limit: 4, cursor: first.nextCursor as string });
      expect(rest.items).toHaveLength(1);
      expect(rest.nextCursor).toBeNull();
    });

    it('keeps the filters on the following pages', async () => {
      const first = await list(clinic.admin, { q: `Ann ${tag}`, limit: 1 });
      expect(first.items).toHaveLength(1);
      const second = await list(clinic.admin, { q: `Ann ${tag}`, limit: 1, cursor: first.nextCursor as string });
      expect(second.items).toHaveLength(1);
      expect(second.items[0].fullName).toBe(`Ann ${tag}`);
      expect(second.items[0].id).not.toBe(first.items[0].id);
      expect(second.nextCursor).toBeNull();
    });
  });

  describe('profile edits', () => {
    let clinic: TestClinic;
    let lmt: SignedInUser;
    const licence = { number: 'LMT-77', region: 'TX' };

    beforeAll(async () => {
      clinic = await registerClinic(t.http);
      lmt = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Sam Self' });
    });

    it('a practitioner edits their own profile', async () => {
      const res = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(lmt.auth)
        .send({
          bio: 'Sports and deep tissue',
          specialties: ['deep_tissue', 'sports_injury'],
          languages: ['en', 'pt-BR'],
          acceptingReferrals: false,
        })
        .expect(200);
      expect(res.body).toMatchObject({
        id: lmt.id,
        email: lmt.email,
        bio: 'Sports and deep tissue',
        specialties: ['deep_tissue', 'sports_injury'],
        languages: ['en', 'pt-BR'],
        acceptingReferrals: false,
      });
      const me = await t.http.get('/api/v1/me').set(lmt.auth).expect(200);
      expect(me.body).toMatchObject({
        bio: 'Sports and deep tissue',
        acceptingReferrals: false,
        clinic: { id: clinic.clinicId },
      });
    });

    it('leaves fields out of a patch untouched, and null clears the bio', async () => {
      const before = await t.http.get(`/api/v1/practitioners/${lmt.id}`).set(lmt.auth).expect(200);
      const res = await t.http.patch(`/api/v1/practitioners/${lmt.id}`).set(lmt.auth).send({ bio: null }).expect(200);
      expect(res.body.bio).toBeNull();
      expect(res.body).toMatchObject({
        specialties: before.body.specialties,
        languages: before.body.languages,
        fullName: before.body.fullName,
        licence: before.body.licence,
      });
      expect(new Date(res.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(before.body.updatedAt).getTime());
    });

    it('a licence is the admin’s to change: a self-edit of any licence field is 403, the admin’s edit records who attested it', async () => {
      const invited = await t.http.get(`/api/v1/practitioners/${lmt.id}`).set(clinic.admin.auth).expect(200);
      expect(invited.body.licence).toMatchObject({
        verifiedAt: expect.any(String),
        verifiedBy: { id: clinic.admin.id, fullName: 'Avery Admin' },
      });
      // The sign-in answer names the attesting admin too.
      const signedIn = await t.http.post('/api/v1/auth/login').send({ email: lmt.email, password: PASSWORD }).expect(200);
      expect(signedIn.body.user.licence.verifiedBy).toEqual({ id: clinic.admin.id, fullName: 'Avery Admin' });

      const now = new Date();
      for (const change of [{ expiresOn: isoDateFrom(now, 400) }, { number: 'LMT-78' }, { region: 'CA' }]) {
        const selfEdit = await t.http
          .patch(`/api/v1/practitioners/${lmt.id}`)
          .set(lmt.auth)
          .send({
            bio: 'renewed',
            licence: { ...invited.body.licence, verifiedAt: undefined, verifiedBy: undefined, ...change },
          });
        expectProblem(selfEdit, 403, 'forbidden');
      }
      const unchanged = await t.http.get(`/api/v1/practitioners/${lmt.id}`).set(lmt.auth).expect(200);
      expect(unchanged.body.licence).toEqual(invited.body.licence);
      expect(unchanged.body.bio).not.toBe('renewed');

      // Sending the licence as it is (a whole-profile form) is not a change; other fields still save.
      const same = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(lmt.auth)
        .send({
          fullName: 'Sam Selfridge',
          licence: {
            number: invited.body.licence.number,
            region: invited.body.licence.region,
            expiresOn: invited.body.licence.expiresOn,
          },
        })
        .expect(200);
      expect(same.body).toMatchObject({ fullName: 'Sam Selfridge', licence: invited.body.licence });

      const before = Date.now();
      const byAdmin = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(clinic.admin.auth)
        .send({ licence: { ...licence, expiresOn: isoDateFrom(now, 400) } })
        .expect(200);
      expect(byAdmin.body.licence).toMatchObject({ ...licence, verifiedBy: { id: clinic.admin.id, fullName: 'Avery Admin' } });
      const verifiedAt = new Date(byAdmin.body.licence.verifiedAt).getTime();
      expect(verifiedAt).toBeGreaterThanOrEqual(before - 5_000);
      expect(verifiedAt).toBeLessThanOrEqual(Date.now() + 5_000);

      // A non-licence admin edit keeps the verification.
      const kept = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(clinic.admin.auth)
        .send({ bio: 'checked' })
        .expect(200);
      expect(kept.body.licence).toEqual(byAdmin.body.licence);
      // The directory shows who attested the licence and when, to other clinics too.
      const other = await registerClinic(t.http);
      const listed = await t.http.get('/api/v1/practitioners').query({ q: 'Sam Selfridge' }).set(other.admin.auth).expect(200);
      expect(listed.body.items.map((p: { id: string; licence: unknown }) => [p.id, p.licence])).toEqual([
        [lmt.id, byAdmin.body.licence],
      ]);
      const read = await t.http.get(`/api/v1/practitioners/${lmt.id}`).set(other.admin.auth).expect(200);
      expect(read.body.licence).toEqual(byAdmin.body.licence);
      const me = await t.http.get('/api/v1/me').set(lmt.auth).expect(200);
      expect(me.body.licence).toEqual(byAdmin.body.licence);
    });

    it('an admin who is also a practitioner has another admin attest their licence (403); a solo practitioner, the only admin, attests their own', async () => {
      const colleague = await addPractitioner(t.http, clinic, 'physical_therapist', { fullName: `Dana Dual ${Date.now()}` });
      await t.http.patch(`/api/v1/practitioners/${colleague.id}`).set(clinic.admin.auth).send({ isAdmin: true }).expect(200);
      const before = (await t.http.get(`/api/v1/practitioners/${colleague.id}`).set(colleague.auth).expect(200)).body.licence;
      const renewal = { number: before.number, region: before.region, expiresOn: isoDateFrom(new Date(), 800) };
      const own = await t.http.patch(`/api/v1/practitioners/${colleague.id}`).set(colleague.auth).send({ licence: renewal });
      expectProblem(own, 403, 'forbidden');
      expect((await t.http.get(`/api/v1/practitioners/${colleague.id}`).set(colleague.auth).expect(200)).body.licence).toEqual(
        before,
      );
      // The other admin's renewal names that admin.
      const renewed = await t.http
        .patch(`/api/v1/practitioners/${colleague.id}`)
        .set(clinic.admin.auth)
        .send({ licence: renewal })
        .expect(200);
      expect(renewed.body.licence).toMatchObject({ ...renewal, verifiedBy: { id: clinic.admin.id } });

      const solo = await t.http
        .post('/api/v1/auth/register-clinic')
        .send({
          clinic: clinicPayload({ name: 'Solo Practice' }),
          admin: {
            email: uniqueEmail('solo'),
            password: PASSWORD,
            fullName: 'Sol Solo',
            practitioner: {
              role: 'massage_therapist',
              licence: { number: 'MT-9', region: 'TX', expiresOn: isoDateFrom(new Date(), 30) },
            },
          },
        })
        .expect(201);
      const soloAuth = { Authorization: `Bearer ${solo.body.accessToken}` };
      // Self-declared at sign-up; sending it back unchanged is the solo practitioner's attestation.
      expect(solo.body.user.licence).toMatchObject({ verifiedAt: null, verifiedBy: null });
      const attested = await t.http
        .patch(`/api/v1/practitioners/${solo.body.user.id}`)
        .set(soloAuth)
        .send({ licence: { number: 'MT-9', region: 'TX', expiresOn: isoDateFrom(new Date(), 30) } })
        .expect(200);
      expect(attested.body.licence).toMatchObject({ verifiedAt: expect.any(String), verifiedBy: { id: solo.body.user.id } });
      const soloRenewal = { number: 'MT-9', region: 'TX', expiresOn: isoDateFrom(new Date(), 395) };
      const self = await t.http
        .patch(`/api/v1/practitioners/${solo.body.user.id}`)
        .set(soloAuth)
        .send({ licence: soloRenewal })
        .expect(200);
      expect(self.body.licence).toMatchObject({ ...soloRenewal, verifiedBy: { id: solo.body.user.id, fullName: 'Sol Solo' } });
    });

    it('an expired practitioner cannot renew their own licence: still out of the directory and unable to accept, until the admin renews it', async () => {
      const pt = await addPractitioner(t.http, clinic, 'physical_therapist', { fullName: `Pat Lapsed ${Date.now()}` });
      const senderClinic = await registerClinic(t.http);
      const sender = await addPractitioner(t.http, senderClinic, 'massage_therapist');
      const patient = await createPatient(t.http, sender);
      const referral = await actOk(
        t.http,
        sender,
        await createReferral(t.http, sender, injuryReferralBody(patient.id, pt.id)),
        'send',
      );
      const lapsed = { number: 'PT-1', region: 'TX', expiresOn: lapsedLicenceDate() };
      await t.http.patch(`/api/v1/practitioners/${pt.id}`).set(clinic.admin.auth).send({ licence: lapsed }).expect(200);

      const inDirectory = async () =>
        (await t.http.get('/api/v1/practitioners').query({ q: 'Pat Lapsed' }).set(sender.auth).expect(200)).body.items.some(
          (p: { id: string }) => p.id === pt.id,
        );
      const selfRenewal = await t.http
        .patch(`/api/v1/practitioners/${pt.id}`)
        .set(pt.auth)
        .send({ licence: { ...lapsed, expiresOn: isoDateFrom(new Date(), 365) } });
      expectProblem(selfRenewal, 403, 'forbidden');
      expect(await inDirectory()).toBe(false);
      expectProblem(await act(t.http, pt, referral.id, 'accept', referral.version), 422, 'licence_expired');

      const renewed = await t.http
        .patch(`/api/v1/practitioners/${pt.id}`)
        .set(clinic.admin.auth)
        .send({ licence: { ...lapsed, expiresOn: isoDateFrom(new Date(), 365) } })
        .expect(200);
      expect(renewed.body).toMatchObject({ licenceExpired: false, licence: { verifiedBy: { id: clinic.admin.id } } });
      expect(await inDirectory()).toBe(true);
      expect((await actOk(t.http, pt, referral, 'accept')).status).toBe('accepted');
    });

    it('reports licenceExpired, and an empty patch changes nothing', async () => {
      const expired = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(clinic.admin.auth)
        .send({ licence: { ...licence, expiresOn: lapsedLicenceDate() } })
        .expect(200);
      expect(expired.body.licenceExpired).toBe(true);
      const same = await t.http.patch(`/api/v1/practitioners/${lmt.id}`).set(clinic.admin.auth).send({}).expect(200);
      expect(same.body).toEqual(expired.body);
      const renewed = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(clinic.admin.auth)
        .send({ licence: { ...licence, expiresOn: isoDateFrom(new Date(), 0) } })
        .expect(200);
      // A licence is valid through its expiry date.
      expect(renewed.body.licenceExpired).toBe(false);
    });

    it('an admin edits their own name but has no licence to set', async () => {
      const renamed = await t.http
        .patch(`/api/v1/practitioners/${clinic.admin.id}`)
        .set(clinic.admin.auth)
        .send({ fullName: 'Avery Manager' })
        .expect(200);
      expect(renamed.body).toMatchObject({ fullName: 'Avery Manager', role: 'clinic_admin', licence: null });
      const res = await t.http
        .patch(`/api/v1/practitioners/${clinic.admin.id}`)
        .set(clinic.admin.auth)
        .send({ licence: { ...licence, expiresOn: isoDateFrom(new Date(), 30) } })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'licence', message: expect.any(String) }] });
      const me = await t.http.get('/api/v1/me').set(clinic.admin.auth).expect(200);
      expect(me.body.licence).toBeNull();
    });
  });
});
