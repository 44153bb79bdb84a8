import { randomBytes } from 'node:crypto';
import { isoDateFrom, PASSWORD, practitionerPayload } from '@referloop/testing';
import {
  addPractitioner,
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

    it('filters by postal code, ignoring spaces and letter case', async () => {
      for (const postalCode of ['K1A 0B1', 'k1a0b1', 'K1A0B1']) {
        expect(names(await list(south.admin, { q: tag, postalCode }))).toEqual([n.alex, n.blake]);
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

    it('a licence is verified when the admin records it, and needs verification again after a self-edit', async () => {
      const invited = await t.http.get(`/api/v1/practitioners/${lmt.id}`).set(clinic.admin.auth).expect(200);
      expect(invited.body.licence.verifiedAt).toEqual(expect.any(String));

      const now = new Date();
      const selfEdit = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(lmt.auth)
        .send({ licence: { ...licence, expiresOn: isoDateFrom(now, 400) } })
        .expect(200);
      expect(selfEdit.body.licence).toEqual({ ...licence, expiresOn: isoDateFrom(now, 400), verifiedAt: null });

      // Another self-edit that does not touch the licence keeps it unverified.
      const other = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(lmt.auth)
        .send({ fullName: 'Sam Selfridge' })
        .expect(200);
      expect(other.body.licence.verifiedAt).toBeNull();

      const before = Date.now();
      const byAdmin = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(clinic.admin.auth)
        .send({ licence: { ...licence, expiresOn: isoDateFrom(now, 400) } })
        .expect(200);
      const verifiedAt = new Date(byAdmin.body.licence.verifiedAt).getTime();
      expect(verifiedAt).toBeGreaterThanOrEqual(before - 5_000);
      expect(verifiedAt).toBeLessThanOrEqual(Date.now() + 5_000);

      // A non-licence admin edit keeps the verification.
      const kept = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(clinic.admin.auth)
        .send({ bio: 'checked' })
        .expect(200);
      expect(kept.body.licence.verifiedAt).toBe(byAdmin.body.licence.verifiedAt);
    });

    it('reports licenceExpired, and an empty patch changes nothing', async () => {
      const expired = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(clinic.admin.auth)
        .send({ licence: { ...licence, expiresOn: isoDateFrom(new Date(), -1) } })
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
