import { EXPORT_COLUMNS } from '@referloop/admin';
import { lapsedLicenceDate, practitionerPayload } from '@referloop/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

// The directory's `near` search (postal-code centroids), saved partners listed first, and appointment
// times in the zone where they happen (referral answers and the CSV export).

interface Listed {
  id: string;
  fullName: string;
  partner: 'mine' | 'clinic' | null;
  distanceKm?: number | null;
}

interface Partner {
  practitionerId: string;
  createdAt: string;
  practitioner: { id: string; fullName: string } | null;
}

describe('directory near, partners and appointment time zones', () => {
  let t: TestApp;
  const tag = `d${randomBytes(4).toString('hex')}`;
  // Denver, where the searching massage therapist works, and PTs at known distances from it
  // (centroid to centroid: Boulder 38.8 km, Colorado Springs 102.4 km, Austin 1,242.7 km, Toronto 2,162.2 km).
  let home: TestClinic;
  let lmt: SignedInUser;
  let colleague: SignedInUser;
  const pts: Record<'boulder' | 'springs' | 'austin' | 'toronto' | 'london', SignedInUser> = {} as never;
  const clinics: Record<keyof typeof pts, TestClinic> = {} as never;
  const names = {
    boulder: `Bailey Boulder ${tag}`,
    springs: `Casey Springs ${tag}`,
    austin: `Avery Austin ${tag}`,
    toronto: `Taylor Toronto ${tag}`,
    london: `Logan London ${tag}`,
  };

  beforeAll(async () => {
    t = await startTestApp();
    home = await registerClinic(t.http, { name: `Mile High Massage ${tag}`, city: 'Denver', postalCode: '80202' });
    lmt = await addPractitioner(t.http, home, 'massage_therapist', { fullName: `Morgan Denver ${tag}` });
    colleague = await addPractitioner(t.http, home, 'massage_therapist', { fullName: `Jordan Denver ${tag}` });
    const places = {
      boulder: { city: 'Boulder', postalCode: '80302-1234' },
      springs: { city: 'Colorado Springs', postalCode: '80903' },
      austin: { city: 'Austin', postalCode: '78701' },
      toronto: { city: 'Toronto', postalCode: 'm5v 3l9' },
      // No centroid in the dataset (US and Canada only).
      london: { city: 'London', postalCode: 'SW1A 1AA' },
    };
    for (const [key, place] of Object.entries(places) as [keyof typeof pts, { city: string; postalCode: string }][]) {
      clinics[key] = await registerClinic(t.http, { name: `${place.city} PT ${tag}`, ...place });
      pts[key] = await addPractitioner(t.http, clinics[key], 'physical_therapist', { fullName: names[key] });
    }
  });
  afterAll(() => t.close());

  async function directory(viewer: SignedInUser, query: Record<string, string | number>) {
    const res = await t.http
      .get('/api/v1/practitioners')
      .query({ q: tag, type: 'physical_therapist', ...query })
      .set(viewer.auth)
      .expect(200);
    return res.body as { items: Listed[]; nextCursor: string | null };
  }

  /** Every page of a directory query, following nextCursor. */
  async function allPages(viewer: SignedInUser, query: Record<string, string | number>): Promise<Listed[]> {
    const items: Listed[] = [];
    let cursor: string | null = null;
    do {
      const page = await directory(viewer, { ...query, ...(cursor ? { cursor } : {}) });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  describe('near and radiusKm', () => {
    it('orders by distance from the postal code, with distanceKm, and unknown locations last', async () => {
      const page = await directory(lmt, { near: '80202' });
      expect(page.items.map((p) => p.fullName)).toEqual([
        names.boulder,
        names.springs,
        names.austin,
        names.toronto,
        names.london,
      ]);
      const km = Object.fromEntries(page.items.map((p) => [p.fullName, p.distanceKm]));
      expect(km[names.boulder]).toBeCloseTo(39, -0.5);
      expect(km[names.springs]).toBeCloseTo(102, -0.5);
      expect(Math.abs((km[names.austin] as number) - 1243)).toBeLessThanOrEqual(2);
      expect(Math.abs((km[names.toronto] as number) - 2162)).toBeLessThanOrEqual(2);
      expect(km[names.london]).toBeNull();
      expect(page.items.every((p) => p.partner === null)).toBe(true);
    });

    it('takes Canadian postal codes in any case and spacing (their forward sortation area)', async () => {
      const page = await directory(lmt, { near: 'm4c-1a1' });
      expect(page.items[0].fullName).toBe(names.toronto);
      expect(page.items[0].distanceKm).toBeGreaterThan(3);
      expect(page.items[0].distanceKm).toBeLessThan(7);
    });

    it('keeps the order across pages', async () => {
      const paged = await allPages(lmt, { near: '80202', limit: 2 });
      expect(paged.map((p) => p.fullName)).toEqual([names.boulder, names.springs, names.austin, names.toronto, names.london]);
    });

    it('with radiusKm, lists only those within it (a clinic without a known location is left out)', async () => {
      const page = await directory(lmt, { near: '80202', radiusKm: 150 });
      expect(page.items.map((p) => p.fullName)).toEqual([names.boulder, names.springs]);
      const wide = await directory(lmt, { near: '80202', radiusKm: 5000 });
      expect(wide.items.map((p) => p.fullName)).not.toContain(names.london);
      expect(wide.items).toHaveLength(4);
    });

    it('has no distanceKm without near, and names the field of a bad near or radiusKm', async () => {
      const page = await directory(lmt, {});
      expect(page.items.every((p) => !('distanceKm' in p))).toBe(true);
      for (const [query, field] of [
        [{ near: '00000' }, 'near'],
        [{ near: 'hello' }, 'near'],
        [{ near: 'SW1A 1AA' }, 'near'],
        [{ radiusKm: 50 }, 'radiusKm'],
        [{ near: '80202', radiusKm: 'far' }, 'radiusKm'],
        [{ near: '80202', radiusKm: 0 }, 'radiusKm'],
        // Numbers as people write them, not as JavaScript reads text.
        [{ near: '80202', radiusKm: '0x10' }, 'radiusKm'],
        [{ near: '80202', radiusKm: '1e3' }, 'radiusKm'],
        [{ near: '80202', radiusKm: ' 50' }, 'radiusKm'],
        [{ near: '80202', radiusKm: '' }, 'radiusKm'],
      ] as const) {
        const res = await t.http
          .get('/api/v1/practitioners')
          .query(query as Record<string, string | number>)
          .set(lmt.auth);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors.length).toBeGreaterThan(0);
        expect(res.body.errors.every((e: { field: string }) => e.field === field)).toBe(true);
      }
    });
  });

  describe('partners', () => {
    const addMine = (user: SignedInUser, practitionerId: string) =>
      t.http.post('/api/v1/me/partners').set(user.auth).send({ practitionerId });
    const addClinic = (user: SignedInUser, practitionerId: string) =>
      t.http.post('/api/v1/clinics/me/partners').set(user.auth).send({ practitionerId });

    it('saves a partner once however often it is posted, and lists it', async () => {
      const first = await addMine(lmt, pts.austin.id).expect(201);
      expect(first.body).toMatchObject({
        practitionerId: pts.austin.id,
        practitioner: { id: pts.austin.id, fullName: names.austin },
      });
      const again = await addMine(lmt, pts.austin.id).expect(200);
      expect(again.body.createdAt).toBe(first.body.createdAt);
      const concurrent = await Promise.all([addMine(lmt, pts.toronto.id), addMine(lmt, pts.toronto.id)]);
      expect(concurrent.map((r) => r.status).sort()).toEqual([200, 201]);

      const list = await t.http.get('/api/v1/me/partners').set(lmt.auth).expect(200);
      expect((list.body.items as Partner[]).map((p) => p.practitionerId)).toEqual([pts.toronto.id, pts.austin.id]);
      expect(list.body.nextCursor).toBeNull();
      const page1 = await t.http.get('/api/v1/me/partners').query({ limit: 1 }).set(lmt.auth).expect(200);
      expect(page1.body.items).toHaveLength(1);
      const page2 = await t.http
        .get('/api/v1/me/partners')
        .query({ limit: 1, cursor: page1.body.nextCursor })
        .set(lmt.auth)
        .expect(200);
      expect([page1.body.items[0].practitionerId, page2.body.items[0].practitionerId]).toEqual([pts.toronto.id, pts.austin.id]);
      expect(page2.body.nextCursor).toBeNull();

      // Another practitioner of the same clinic has no partners of their own.
      const theirs = await t.http.get('/api/v1/me/partners').set(colleague.auth).expect(200);
      expect(theirs.body).toEqual({ items: [], nextCursor: null });
      await t.http.delete(`/api/v1/me/partners/${pts.toronto.id}`).set(lmt.auth).expect(204);
    });

    it("lists the caller's partners first, then the clinic's, then the rest by distance", async () => {
      await addClinic(home.admin, pts.springs.id).expect(201);
      await addClinic(home.admin, pts.springs.id).expect(200);

      const forLmt = await directory(lmt, { near: '80202' });
      expect(forLmt.items.map((p) => [p.fullName, p.partner])).toEqual([
        [names.austin, 'mine'],
        [names.springs, 'clinic'],
        [names.boulder, null],
        [names.toronto, null],
        [names.london, null],
      ]);
      expect(forLmt.items[0].distanceKm).toBeGreaterThan(1200);
      // Pages follow the same order.
      expect((await allPages(lmt, { near: '80202', limit: 2 })).map((p) => p.fullName)).toEqual(
        forLmt.items.map((p) => p.fullName),
      );
      // Without near: partners first, then by name.
      const byName = await directory(lmt, {});
      expect(byName.items.map((p) => p.fullName)).toEqual([
        names.austin,
        names.springs,
        names.boulder,
        names.london,
        names.toronto,
      ]);

      // A colleague shares the clinic's partner but not the LMT's own.
      const forColleague = await directory(colleague, { near: '80202' });
      expect(forColleague.items.map((p) => [p.fullName, p.partner]).slice(0, 3)).toEqual([
        [names.springs, 'clinic'],
        [names.boulder, null],
        [names.austin, null],
      ]);

      // Another clinic sees none of it.
      const elsewhere = await directory(pts.boulder, { near: '80202' });
      expect(elsewhere.items.every((p) => p.partner === null)).toBe(true);
      const otherList = await t.http.get('/api/v1/clinics/me/partners').set(clinics.boulder.admin.auth).expect(200);
      expect(otherList.body).toEqual({ items: [], nextCursor: null });
      const ownList = await t.http.get('/api/v1/clinics/me/partners').set(home.admin.auth).expect(200);
      expect((ownList.body.items as Partner[]).map((p) => p.practitionerId)).toEqual([pts.springs.id]);
      // Another clinic's admin cannot remove it: it is not on their list.
      await t.http.delete(`/api/v1/clinics/me/partners/${pts.springs.id}`).set(clinics.boulder.admin.auth).expect(404);
    });

    it('keeps the clinic list to admins', async () => {
      expectProblem(await t.http.get('/api/v1/clinics/me/partners').set(lmt.auth), 403, 'forbidden');
      expectProblem(await addClinic(lmt, pts.boulder.id), 403, 'forbidden');
      expectProblem(await t.http.delete(`/api/v1/clinics/me/partners/${pts.springs.id}`).set(lmt.auth), 403, 'forbidden');
    });

    it('refuses yourself, unknown and hidden practitioners, admins and bad bodies', async () => {
      const self = await addMine(lmt, lmt.id);
      expectProblem(self, 400, 'validation_failed');
      expect(self.body.errors).toEqual([expect.objectContaining({ field: 'practitionerId' })]);
      expectProblem(await addMine(lmt, randomUUID()), 404, 'not_found');
      // An admin is not a practitioner; another clinic's practitioner with an expired licence is hidden.
      expectProblem(await addMine(lmt, clinics.austin.admin.id), 404, 'not_found');
      const expired = await t.http
        .post('/api/v1/practitioners')
        .set(clinics.austin.admin.auth)
        .send(
          practitionerPayload('physical_therapist', new Date(), {
            licence: { number: 'X1', region: 'TX', expiresOn: lapsedLicenceDate() },
          }),
        )
        .expect(201);
      expectProblem(await addMine(lmt, expired.body.id), 404, 'not_found');
      expectProblem(await addMine(lmt, 'not-a-uuid'), 400, 'validation_failed');
      expectProblem(
        await t.http.post('/api/v1/me/partners').set(lmt.auth).send({ practitionerId: pts.boulder.id, note: 'x' }),
        400,
        'validation_failed',
      );
      expectProblem(await t.http.delete('/api/v1/me/partners/not-a-uuid').set(lmt.auth), 400, 'validation_failed');
    });

    it("refuses the caller's own colleagues the directory hides: invited but not joined, deactivated", async () => {
      const invited = await t.http
        .post('/api/v1/practitioners')
        .set(home.admin.auth)
        .send(practitionerPayload('massage_therapist', new Date()))
        .expect(201);
      const leaving = await addPractitioner(t.http, home, 'massage_therapist');
      await t.http.post(`/api/v1/practitioners/${leaving.id}/deactivate`).set(home.admin.auth).expect(200);
      for (const hidden of [invited.body.id as string, leaving.id]) {
        expectProblem(await addMine(lmt, hidden), 404, 'not_found');
        expectProblem(await addClinic(home.admin, hidden), 404, 'not_found');
      }
      // A joined, active colleague is in the directory, so may be saved.
      expect((await addMine(lmt, colleague.id)).status).toBe(201);
      await t.http.delete(`/api/v1/me/partners/${colleague.id}`).set(lmt.auth).expect(204);
    });

    it('removes a partner; removing it again is a 404', async () => {
      await t.http.delete(`/api/v1/me/partners/${pts.austin.id}`).set(lmt.auth).expect(204);
      expectProblem(await t.http.delete(`/api/v1/me/partners/${pts.austin.id}`).set(lmt.auth), 404, 'not_found');
      await t.http.delete(`/api/v1/clinics/me/partners/${pts.springs.id}`).set(home.admin.auth).expect(204);
      const page = await directory(lmt, { near: '80202' });
      expect(page.items.map((p) => p.fullName)).toEqual([
        names.boulder,
        names.springs,
        names.austin,
        names.toronto,
        names.london,
      ]);
      expect(page.items.every((p) => p.partner === null)).toBe(true);
    });

    it('removes a partner named in the body, as POST names it (DELETE /me/partners {practitionerId})', async () => {
      await addMine(lmt, pts.austin.id).expect(201);
      await t.http.post('/api/v1/clinics/me/partners').set(home.admin.auth).send({ practitionerId: pts.springs.id }).expect(201);
      const bad = await t.http.delete('/api/v1/me/partners').set(lmt.auth).send({ practitionerId: 'x' });
      expectProblem(bad, 400, 'validation_failed');
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'practitionerId' })]);
      expectProblem(await t.http.delete('/api/v1/me/partners').set(lmt.auth).send({}), 400, 'validation_failed');
      expectProblem(
        await t.http.delete('/api/v1/clinics/me/partners').set(lmt.auth).send({ practitionerId: pts.springs.id }),
        403,
        'forbidden',
      );
      await t.http.delete('/api/v1/me/partners').set(lmt.auth).send({ practitionerId: pts.austin.id }).expect(204);
      expectProblem(
        await t.http.delete('/api/v1/me/partners').set(lmt.auth).send({ practitionerId: pts.austin.id }),
        404,
        'not_found',
      );
      await t.http
        .delete('/api/v1/clinics/me/partners')
        .set(home.admin.auth)
        .send({ practitionerId: pts.springs.id })
        .expect(204);
      const page = await directory(lmt, { near: '80202' });
      expect(page.items.every((p) => p.partner === null)).toBe(true);
    });
  });

  describe('appointment time zone', () => {
    it("carries the recipient clinic's zone and writes CSV times with that zone's offset, on both sides of DST", async () => {
      await t.http.patch('/api/v1/clinics/me').set(clinics.boulder.admin.auth).send({ timezone: 'America/Denver' }).expect(200);
      const patient = await createPatient(t.http, lmt);
      let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pts.boulder.id));
      expect(referral.appointmentTimeZone).toBe('America/Denver');
      referral = await actOk(t.http, lmt, referral, 'send');
      referral = await actOk(t.http, pts.boulder, referral, 'accept');
      // 10:00 in Boulder next January (MST, UTC−7), then 11:00 next July (MDT, UTC−6).
      const year = new Date().getUTCFullYear() + 1;
      const winter = `${year}-01-15T17:00:00.000Z`;
      const summer = `${year}-07-15T17:00:00.000Z`;
      referral = await actOk(t.http, pts.boulder, referral, 'schedule', { appointmentAt: winter });
      expect(referral).toMatchObject({ appointmentAt: winter, appointmentTimeZone: 'America/Denver' });
      const senderView = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
      expect(senderView.body.appointmentTimeZone).toBe('America/Denver');
      const listed = await t.http.get('/api/v1/referrals').query({ box: 'sent' }).set(lmt.auth).expect(200);
      expect(listed.body.items.find((r: { id: string }) => r.id === referral.id).appointmentTimeZone).toBe('America/Denver');

      const exported = async () => {
        const res = await t.http.get('/api/v1/admin/referrals/export.csv').set(home.admin.auth).expect(200);
        const [header, ...rows] = res.text
          .trimEnd()
          .split('\r\n')
          .map((line) => line.split(','));
        expect(header).toEqual([...EXPORT_COLUMNS]);
        const row = rows.find((r) => r[header.indexOf('id')] === referral.id) as string[];
        return { at: row[header.indexOf('appointment_at')], zone: row[header.indexOf('appointment_time_zone')] };
      };
      expect(await exported()).toEqual({ at: `${year}-01-15T10:00:00-07:00`, zone: 'America/Denver' });
      referral = await actOk(t.http, pts.boulder, referral, 'unschedule', { reason: 'patient_cancelled' });
      referral = await actOk(t.http, pts.boulder, referral, 'schedule', { appointmentAt: summer });
      expect(await exported()).toEqual({ at: `${year}-07-15T11:00:00-06:00`, zone: 'America/Denver' });
    });
  });
});
