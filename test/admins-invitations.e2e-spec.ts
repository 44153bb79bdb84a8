import { createWorkerContext } from '../apps/worker/src/create-worker-context';
import { clinicPayload, isoDateFrom, PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import pino from 'pino';
import type TestAgent from 'supertest/lib/agent';
import { actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import { type CapturedEmail, eventually, startSmtpSink } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

// Admin rights as a flag (a practitioner may run their clinic too), the solo sign-up, and
// invitations that can be listed, re-sent and revoked.

interface SignedInBody {
  user: { id: string; clinicId: string; email: string; role: string; isAdmin: boolean };
  accessToken: string;
  refreshToken: string;
}

const asUser = (body: SignedInBody): SignedInUser => ({
  id: body.user.id,
  clinicId: body.user.clinicId,
  email: body.user.email,
  role: body.user.role,
  accessToken: body.accessToken,
  refreshToken: body.refreshToken,
  auth: { Authorization: `Bearer ${body.accessToken}` },
});

/** A clinic of one: the person registers as admin and massage therapist at once. */
async function registerSoloPractice(http: TestAgent, overrides: Record<string, unknown> = {}, extra: object = {}) {
  const res = await http
    .post('/api/v1/auth/register-clinic')
    .send({
      ...extra,
      clinic: clinicPayload({ name: 'Lena Morales Massage' }),
      admin: {
        email: uniqueEmail('solo'),
        password: PASSWORD,
        fullName: 'Lena Morales',
        practitioner: {
          role: 'massage_therapist',
          licence: { number: 'MT-1234', region: 'TX', expiresOn: isoDateFrom(new Date(), 365) },
          specialties: ['deep_tissue'],
          ...overrides,
        },
      },
    })
    .expect(201);
  return { res, user: asUser(res.body as SignedInBody) };
}

/** One query against the app's test database. */
async function sql<T>(app: TestApp, text: string, values: unknown[] = []): Promise<T[]> {
  const db = new Client({ connectionString: app.database.url });
  await db.connect();
  try {
    return (await db.query(text, values)).rows as T[];
  } finally {
    await db.end();
  }
}

const acceptInvitation = (http: TestAgent, token: string) =>
  http.post('/api/v1/auth/accept-invitation').send({ token, password: PASSWORD });

describe('admin rights and invitations', () => {
  let t: TestApp;
  let physio: TestClinic;
  let pt: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
  });
  afterAll(() => t.close());

  describe('solo sign-up', () => {
    it('takes invitationToken: null as no link (it was a 500)', async () => {
      const { res } = await registerSoloPractice(t.http, {}, { invitationToken: null });
      expect(res.body.user).toMatchObject({ role: 'massage_therapist', isAdmin: true });
    });

    it('refuses a blank invitationToken under its own name, and creates nothing', async () => {
      const email = uniqueEmail('blank-link');
      for (const invitationToken of ['   ', '\u200b']) {
        const res = await t.http.post('/api/v1/auth/register-clinic').send({
          invitationToken,
          clinic: clinicPayload({ name: 'Blank Link Massage' }),
          admin: { email, password: PASSWORD, fullName: 'Blank Link' },
        });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([{ field: 'invitationToken', message: 'should not be empty' }]);
      }
      expect(await sql(t, `SELECT id FROM users WHERE email = $1`, [email])).toEqual([]);
    });

    it('registers one account that is admin and practitioner, and sends a referral with it', async () => {
      const { res, user: solo } = await registerSoloPractice(t.http);
      expect(res.body.user).toMatchObject({
        role: 'massage_therapist',
        isAdmin: true,
        status: 'active',
        licence: { number: 'MT-1234', region: 'TX', verifiedAt: null },
        specialties: ['deep_tissue'],
        acceptingReferrals: true,
      });
      const me = await t.http.get('/api/v1/me').set(solo.auth).expect(200);
      expect(me.body).toMatchObject({ id: solo.id, role: 'massage_therapist', isAdmin: true });

      // Sends as herself: no senderId needed.
      const patient = await createPatient(t.http, solo);
      const draft = await createReferral(t.http, solo, injuryReferralBody(patient.id, pt.id));
      expect(draft).toMatchObject({ senderId: solo.id, status: 'draft' });
      const sent = await actOk(t.http, solo, draft, 'send');
      expect(sent.status).toBe('sent');

      // And she runs the clinic: the clinic box, admin routes and clinic settings.
      const box = await t.http.get('/api/v1/referrals').query({ box: 'clinic' }).set(solo.auth).expect(200);
      expect(box.body.items.map((r: { id: string }) => r.id)).toContain(draft.id);
      await t.http.get('/api/v1/admin/metrics').set(solo.auth).expect(200);
      await t.http.get('/api/v1/invitations').set(solo.auth).expect(200);
      await t.http.patch('/api/v1/clinics/me').set(solo.auth).send({ phone: '+1 512 555 0142' }).expect(200);
      // The recipient answers; the sender hears back as with any referral.
      const received = await t.http.get(`/api/v1/referrals/${draft.id}`).set(pt.auth).expect(200);
      await actOk(t.http, pt, received.body, 'accept');
      const seen = await t.http.get(`/api/v1/referrals/${draft.id}`).set(solo.auth).expect(200);
      expect(seen.body.status).toBe('accepted');
    });

    it('is listed in the directory as a practitioner (the licence is her own declaration)', async () => {
      const { user: solo } = await registerSoloPractice(t.http);
      const listed = await t.http.get(`/api/v1/practitioners/${solo.id}`).set(pt.auth).expect(200);
      expect(listed.body).toMatchObject({ role: 'massage_therapist', isAdmin: true, licenceExpired: false });
    });

    it('refuses a practitioner profile that is not one', async () => {
      const bad = await t.http.post('/api/v1/auth/register-clinic').send({
        clinic: clinicPayload(),
        admin: {
          email: uniqueEmail('solo'),
          password: PASSWORD,
          fullName: 'Lena Morales',
          practitioner: { role: 'clinic_admin', licence: { number: 'X', region: 'TX', expiresOn: 'soon' }, extra: 1 },
        },
      });
      expectProblem(bad, 400, 'validation_failed');
      const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
      expect(fields).toEqual(
        expect.arrayContaining(['admin.practitioner.role', 'admin.practitioner.licence.expiresOn', 'admin.practitioner.extra']),
      );
    });

    it('keeps a plain clinic admin an admin who is not a sender', async () => {
      const clinic = await registerClinic(t.http);
      const me = await t.http.get('/api/v1/me').set(clinic.admin.auth).expect(200);
      expect(me.body).toMatchObject({ role: 'clinic_admin', isAdmin: true });
      const patient = await createPatient(t.http, clinic.admin);
      const res = await t.http.post('/api/v1/referrals').set(clinic.admin.auth).send(injuryReferralBody(patient.id, pt.id));
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'senderId' })]);
    });
  });

  describe('isAdmin', () => {
    let clinic: TestClinic;
    let lmt: SignedInUser;
    let colleague: SignedInUser;

    beforeAll(async () => {
      clinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
      lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
      colleague = await addPractitioner(t.http, clinic, 'massage_therapist');
    });

    it('keeps a plain practitioner out of admin routes, the clinic box and admin rights', async () => {
      await t.http.get('/api/v1/admin/metrics').set(lmt.auth).expect(403);
      await t.http.get('/api/v1/invitations').set(lmt.auth).expect(403);
      await t.http.get('/api/v1/referrals').query({ box: 'clinic' }).set(lmt.auth).expect(403);
      expectProblem(
        await t.http.patch(`/api/v1/practitioners/${lmt.id}`).set(lmt.auth).send({ isAdmin: true }),
        403,
        'forbidden',
      );
      expectProblem(
        await t.http.patch(`/api/v1/practitioners/${colleague.id}`).set(lmt.auth).send({ isAdmin: false }),
        403,
        'forbidden',
      );
      const patient = await createPatient(t.http, lmt);
      const onBehalf = await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .send({ ...injuryReferralBody(patient.id, pt.id), senderId: colleague.id });
      expectProblem(onBehalf, 403, 'forbidden');
    });

    it('lets an admin grant admin rights: the practitioner then acts on both sides at once', async () => {
      const granted = await t.http
        .patch(`/api/v1/practitioners/${lmt.id}`)
        .set(clinic.admin.auth)
        .send({ isAdmin: true })
        .expect(200);
      expect(granted.body).toMatchObject({ id: lmt.id, role: 'massage_therapist', isAdmin: true });

      // The same access token: rights are read per request.
      await t.http.get('/api/v1/admin/metrics').set(lmt.auth).expect(200);
      await t.http.get('/api/v1/invitations').set(lmt.auth).expect(200);
      const patient = await createPatient(t.http, lmt);
      const own = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
      expect(own.senderId).toBe(lmt.id);
      // For a colleague, as a clinic admin would.
      const forColleague = await createReferral(t.http, lmt, {
        ...injuryReferralBody(patient.id, pt.id),
        senderId: colleague.id,
      });
      expect(forColleague.senderId).toBe(colleague.id);
      const box = await t.http.get('/api/v1/referrals').query({ box: 'clinic' }).set(lmt.auth).expect(200);
      expect(box.body.items.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([own.id, forColleague.id]));
      // The colleague's draft is the clinic's: the admin-practitioner may send it.
      await actOk(t.http, lmt, forColleague, 'send');
      // An admin may also invite.
      await t.http
        .post('/api/v1/practitioners')
        .set(lmt.auth)
        .send(practitionerPayload('massage_therapist', new Date()))
        .expect(201);

      // Removing the rights takes effect at once too.
      await t.http.patch(`/api/v1/practitioners/${lmt.id}`).set(clinic.admin.auth).send({ isAdmin: false }).expect(200);
      await t.http.get('/api/v1/admin/metrics').set(lmt.auth).expect(403);
      await t.http.get(`/api/v1/referrals/${forColleague.id}`).set(lmt.auth).expect(404);
    });

    it('never takes admin rights from the last active admin (422 last_admin)', async () => {
      const { user: solo } = await registerSoloPractice(t.http);
      expectProblem(
        await t.http.patch(`/api/v1/practitioners/${solo.id}`).set(solo.auth).send({ isAdmin: false }),
        422,
        'last_admin',
      );
      const me = await t.http.get('/api/v1/me').set(solo.auth).expect(200);
      expect(me.body.isAdmin).toBe(true);

      // An invitee who never joined does not count as an active admin.
      const invited = await t.http
        .post('/api/v1/practitioners')
        .set(solo.auth)
        .send(practitionerPayload('massage_therapist', new Date()))
        .expect(201);
      await t.http.patch(`/api/v1/practitioners/${invited.body.id}`).set(solo.auth).send({ isAdmin: true }).expect(200);
      expectProblem(
        await t.http.patch(`/api/v1/practitioners/${solo.id}`).set(solo.auth).send({ isAdmin: false }),
        422,
        'last_admin',
      );
      // Once they have joined, the founder may step down.
      await acceptInvitation(t.http, invited.body.invitation.token).expect(200);
      const stepped = await t.http.patch(`/api/v1/practitioners/${solo.id}`).set(solo.auth).send({ isAdmin: false }).expect(200);
      expect(stepped.body.isAdmin).toBe(false);
    });

    /** A solo practice whose founder made a colleague the second admin. */
    const twoAdmins = async () => {
      const { user: founder } = await registerSoloPractice(t.http);
      const invited = await t.http
        .post('/api/v1/practitioners')
        .set(founder.auth)
        .send(practitionerPayload('massage_therapist', new Date()))
        .expect(201);
      const second = asUser((await acceptInvitation(t.http, invited.body.invitation.token).expect(200)).body as SignedInBody);
      await t.http.patch(`/api/v1/practitioners/${second.id}`).set(founder.auth).send({ isAdmin: true }).expect(200);
      return { founder, second };
    };

    it('keeps one admin when two admins remove each other at the same time', async () => {
      const { founder, second } = await twoAdmins();
      const answers = await Promise.all([
        t.http.patch(`/api/v1/practitioners/${second.id}`).set(founder.auth).send({ isAdmin: false }),
        t.http.patch(`/api/v1/practitioners/${founder.id}`).set(second.auth).send({ isAdmin: false }),
      ]);
      // Exactly one wins. The loser is refused either by the last-admin rule (422) or, when the
      // winner's change committed before the loser's request was authorised, as no longer an admin (403).
      const statuses = answers.map((r) => r.status).sort();
      expect([
        [200, 403],
        [200, 422],
      ]).toContainEqual(statuses);
      const rows = await sql<{ n: number }>(t, `SELECT count(*)::int AS n FROM users WHERE clinic_id = $1 AND is_admin`, [
        founder.clinicId,
      ]);
      expect(rows[0].n).toBe(1);
    });

    it('an admin stepping down while the other deactivates them: one result, never a 500 (the two queued, not deadlocked)', async () => {
      // Eight rounds: the deadlock this guards against showed in about half of such races.
      for (let round = 0; round < 8; round++) {
        const { founder, second } = await twoAdmins();
        const [demote, deactivate] = await Promise.all([
          t.http.patch(`/api/v1/practitioners/${founder.id}`).set(founder.auth).send({ isAdmin: false }),
          t.http.post(`/api/v1/practitioners/${founder.id}/deactivate`).set(second.auth),
        ]);
        // Whichever came second meets the clinic as the first left it: the founder no longer an admin
        // (deactivated: 401; demoted: the deactivation is allowed) or the last admin (422).
        expect([200, 401, 422]).toContain(demote.status);
        expect([200, 422]).toContain(deactivate.status);
        expect(demote.status === 200 || deactivate.status === 200).toBe(true);
        const rows = await sql<{ n: number }>(
          t,
          `SELECT count(*)::int AS n FROM users WHERE clinic_id = $1 AND is_admin AND deactivated_at IS NULL`,
          [founder.clinicId],
        );
        expect(rows[0].n).toBeGreaterThanOrEqual(1);
      }
    });

    it('two admins deactivating each other at the same time, a third admin left: exactly one is deactivated', async () => {
      for (let round = 0; round < 4; round++) {
        const { founder, second } = await twoAdmins();
        const invited = await t.http
          .post('/api/v1/practitioners')
          .set(founder.auth)
          .send(practitionerPayload('massage_therapist', new Date()))
          .expect(201);
        const third = asUser((await acceptInvitation(t.http, invited.body.invitation.token).expect(200)).body as SignedInBody);
        await t.http.patch(`/api/v1/practitioners/${third.id}`).set(founder.auth).send({ isAdmin: true }).expect(200);
        const answers = await Promise.all([
          t.http.post(`/api/v1/practitioners/${second.id}/deactivate`).set(founder.auth),
          t.http.post(`/api/v1/practitioners/${founder.id}/deactivate`).set(second.auth),
        ]);
        // Whichever came second was deactivated by the first: it deactivates no one (401).
        expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
        const rows = await sql<{ n: number }>(
          t,
          `SELECT count(*)::int AS n FROM users WHERE clinic_id = $1 AND deactivated_at IS NOT NULL`,
          [founder.clinicId],
        );
        expect(rows[0].n).toBe(1);
      }
    });

    it("answers a clinic's only admin, a clinic_admin, stepping down with 422 last_admin", async () => {
      const alone = await registerClinic(t.http, { name: 'Front Desk Only' });
      expectProblem(
        await t.http.patch(`/api/v1/practitioners/${alone.admin.id}`).set(alone.admin.auth).send({ isAdmin: false }),
        422,
        'last_admin',
      );
    });

    it('refuses to take admin rights from a clinic_admin, and isAdmin must be a boolean', async () => {
      // With another admin in the clinic, the rule the answer names is the role's.
      await t.http.patch(`/api/v1/practitioners/${lmt.id}`).set(clinic.admin.auth).send({ isAdmin: true }).expect(200);
      const res = await t.http.patch(`/api/v1/practitioners/${clinic.admin.id}`).set(clinic.admin.auth).send({ isAdmin: false });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'isAdmin' })]);
      await t.http.patch(`/api/v1/practitioners/${lmt.id}`).set(clinic.admin.auth).send({ isAdmin: false }).expect(200);
      for (const isAdmin of [null, 'yes', 1]) {
        const bad = await t.http.patch(`/api/v1/practitioners/${lmt.id}`).set(clinic.admin.auth).send({ isAdmin });
        expectProblem(bad, 400, 'validation_failed');
      }
    });
  });

  describe('invitations', () => {
    let clinic: TestClinic;
    let other: TestClinic;

    beforeAll(async () => {
      clinic = await registerClinic(t.http, { name: 'Riverside Massage' });
      other = await registerClinic(t.http, { name: 'Elsewhere Physio' });
    });

    const invite = (by: TestClinic, overrides: Record<string, unknown> = {}) =>
      t.http
        .post('/api/v1/practitioners')
        .set(by.admin.auth)
        .send(practitionerPayload('physical_therapist', new Date(), overrides));

    async function listed(by: TestClinic): Promise<{ id: string; email: string; status: string; fullName: string }[]> {
      const res = await t.http.get('/api/v1/invitations').set(by.admin.auth).expect(200);
      return res.body.items;
    }

    it('lists invitations newest first with their status, and pages with a cursor', async () => {
      const first = await invite(clinic, { fullName: 'Quinn First' }).expect(201);
      const second = await invite(clinic, { fullName: 'Rory Second' }).expect(201);
      const page = await t.http.get('/api/v1/invitations').query({ limit: 1 }).set(clinic.admin.auth).expect(200);
      expect(page.body.items).toEqual([
        {
          id: expect.any(String),
          email: second.body.email,
          fullName: 'Rory Second',
          role: 'physical_therapist',
          status: 'pending',
          createdAt: expect.any(String),
          expiresAt: second.body.invitation.expiresAt,
        },
      ]);
      const next = await t.http
        .get('/api/v1/invitations')
        .query({ limit: 1, cursor: page.body.nextCursor })
        .set(clinic.admin.auth)
        .expect(200);
      expect(next.body.items[0]).toMatchObject({ email: first.body.email, status: 'pending' });
      // Another clinic's admin sees none of them.
      expect((await listed(other)).map((i) => i.email)).not.toContain(first.body.email);
      await acceptInvitation(t.http, first.body.invitation.token).expect(200);
      expect((await listed(clinic)).find((i) => i.email === first.body.email)?.status).toBe('accepted');
    });

    it('keeps someone invited but not yet joined out of the directory and out of reach as a recipient', async () => {
      const invited = await invite(clinic, { fullName: 'Sage Pending' }).expect(201);
      const id: string = invited.body.id;
      const lmt = await addPractitioner(t.http, other, 'massage_therapist');
      const search = await t.http.get('/api/v1/practitioners').query({ q: 'Sage Pending' }).set(lmt.auth).expect(200);
      expect(search.body.items).toEqual([]);
      const ownSearch = await t.http.get('/api/v1/practitioners').query({ q: 'Sage Pending' }).set(clinic.admin.auth).expect(200);
      expect(ownSearch.body.items).toEqual([]);
      await t.http.get(`/api/v1/practitioners/${id}`).set(lmt.auth).expect(404);
      // Their own clinic still sees the invitee's profile.
      await t.http.get(`/api/v1/practitioners/${id}`).set(clinic.admin.auth).expect(200);
      const patient = await createPatient(t.http, lmt);
      const res = await t.http.post('/api/v1/referrals').set(lmt.auth).send(injuryReferralBody(patient.id, id));
      expectProblem(res, 404, 'not_found');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'recipientId' })]);

      await acceptInvitation(t.http, invited.body.invitation.token).expect(200);
      const joined = await t.http.get('/api/v1/practitioners').query({ q: 'Sage Pending' }).set(lmt.auth).expect(200);
      expect(joined.body.items.map((p: { id: string }) => p.id)).toEqual([id]);
      await createReferral(t.http, lmt, injuryReferralBody(patient.id, id));
    });

    it('an acceptance racing the deactivation or the revoke of its invitee answers 200 or 400, never a 500 (no deadlock)', async () => {
      // An acceptance hashes the password before its transaction: the other request starts at
      // staggered moments so that some rounds land inside it.
      for (let round = 0; round < 16; round++) {
        const invited = await invite(clinic).expect(201);
        const [item] = (await listed(clinic)).filter((i) => i.email === invited.body.email);
        const ending = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 40 + (round >> 1) * 15));
          return round % 2 === 0
            ? t.http.post(`/api/v1/practitioners/${invited.body.id}/deactivate`).set(clinic.admin.auth)
            : t.http.delete(`/api/v1/invitations/${item.id}`).set(clinic.admin.auth);
        })();
        const answers = await Promise.all([
          ...Array.from({ length: 5 }, () => acceptInvitation(t.http, invited.body.invitation.token)),
          ending,
        ]);
        const accepts = answers.slice(0, 5).map((answer) => answer.status);
        expect(accepts.every((status) => status === 200 || status === 400)).toBe(true);
        expect(accepts.filter((status) => status === 200).length).toBeLessThanOrEqual(1);
        expect([200, 204, 409]).toContain(answers[5].status);
      }
    });

    it('a link sent before the invitee was deactivated stays dead; the reactivation emails a new one, and a resend works too', async () => {
      const invited = await invite(clinic).expect(201);
      await t.http.post(`/api/v1/practitioners/${invited.body.id}/deactivate`).set(clinic.admin.auth).expect(200);
      await t.http.post(`/api/v1/practitioners/${invited.body.id}/reactivate`).set(clinic.admin.auth).expect(200);
      expectProblem(await acceptInvitation(t.http, invited.body.invitation.token), 400, 'validation_failed');
      const [item] = (await listed(clinic)).filter((i) => i.email === invited.body.email);
      expect(item.status).toBe('pending');
      // Version 1 was emailed with the invite, 2 voided the links, 3 is the reactivation's, emailed (outbox).
      const emailed = await sql<{ version: number }>(
        t,
        `SELECT (payload->>'tokenVersion')::int AS version FROM outbox_events
          WHERE type = 'invitation.created' AND payload->>'invitationId' = $1 ORDER BY version`,
        [item.id],
      );
      expect(emailed.map((row) => row.version)).toEqual([1, 3]);
      const resent = await t.http.post(`/api/v1/invitations/${item.id}/resend`).set(clinic.admin.auth).expect(200);
      await acceptInvitation(t.http, resent.body.invitation.token).expect(200);
    });

    it('re-sends with a new link: the first link is dead (400), the new one works once', async () => {
      const invited = await invite(clinic).expect(201);
      const [item] = (await listed(clinic)).filter((i) => i.email === invited.body.email);
      const resent = await t.http.post(`/api/v1/invitations/${item.id}/resend`).set(clinic.admin.auth).expect(200);
      expect(resent.body).toEqual({
        invitation: { token: expect.any(String), url: expect.any(String), expiresAt: expect.any(String) },
      });
      expect(resent.body.invitation.token).not.toBe(invited.body.invitation.token);
      expect(resent.body.invitation.url).toBe(
        `http://referloop.test/accept-invitation#token=${encodeURIComponent(resent.body.invitation.token)}`,
      );
      const dead = await acceptInvitation(t.http, invited.body.invitation.token);
      expectProblem(dead, 400, 'validation_failed');
      expect(dead.body.errors).toEqual([{ field: 'token', message: 'is invalid, already used or expired' }]);
      const accepted = await acceptInvitation(t.http, resent.body.invitation.token).expect(200);
      expect(accepted.body.user).toMatchObject({ id: invited.body.id, status: 'active' });
      await acceptInvitation(t.http, resent.body.invitation.token).expect(400);
      // An accepted invitation is neither re-sent nor revoked.
      expectProblem(await t.http.post(`/api/v1/invitations/${item.id}/resend`).set(clinic.admin.auth), 409, 'invalid_transition');
      expectProblem(await t.http.delete(`/api/v1/invitations/${item.id}`).set(clinic.admin.auth), 409, 'invalid_transition');
    });

    it('re-sends when the email is invited again while pending, instead of email_taken', async () => {
      const invited = await invite(clinic, { fullName: 'Tatum Typo' }).expect(201);
      const again = await invite(clinic, { email: invited.body.email.toUpperCase(), fullName: 'Tatum Right' }).expect(201);
      expect(again.body).toMatchObject({ id: invited.body.id, fullName: 'Tatum Right', status: 'invited' });
      expect(again.body.invitation.token).not.toBe(invited.body.invitation.token);
      const items = (await listed(clinic)).filter((i) => i.email === invited.body.email);
      expect(items).toEqual([expect.objectContaining({ status: 'pending', fullName: 'Tatum Right' })]);
      await acceptInvitation(t.http, invited.body.invitation.token).expect(400);
      await acceptInvitation(t.http, again.body.invitation.token).expect(200);
      // Joined: now the email is taken, and the answer names the field.
      const taken = await invite(clinic, { email: invited.body.email });
      expectProblem(taken, 409, 'email_taken');
      expect(taken.body.errors).toEqual([{ field: 'email', message: 'is already registered, or invited by another clinic' }]);
    });

    it('leaves one invitee and one working link when the same email is invited twice at once', async () => {
      const email = uniqueEmail('twice');
      const answers = await Promise.all([invite(clinic, { email }), invite(clinic, { email })]);
      expect(answers.map((r) => r.status)).toEqual([201, 201]);
      expect(answers[0].body.id).toBe(answers[1].body.id);
      expect((await listed(clinic)).filter((i) => i.email === email)).toHaveLength(1);
      const accepted = await Promise.all(answers.map((r) => acceptInvitation(t.http, r.body.invitation.token)));
      expect(accepted.map((r) => r.status).sort()).toEqual([200, 400]);
    });

    it('answers email_taken when another clinic has a pending invitation for the email', async () => {
      const invited = await invite(clinic).expect(201);
      const taken = await invite(other, { email: invited.body.email.toUpperCase() });
      expectProblem(taken, 409, 'email_taken');
      expect(taken.body.errors).toEqual([{ field: 'email', message: 'is already registered, or invited by another clinic' }]);
    });

    it("records who invited, re-invited and revoked whom in the clinic's audit log, once each", async () => {
      const own = await registerClinic(t.http, { name: 'Audited Physio' });
      const invited = await invite(own).expect(201);
      const [item] = await listed(own);
      await t.http.post(`/api/v1/invitations/${item.id}/resend`).set(own.admin.auth).expect(200);
      await t.http.delete(`/api/v1/invitations/${item.id}`).set(own.admin.auth).expect(204);
      await t.http.delete(`/api/v1/invitations/${item.id}`).set(own.admin.auth).expect(204);
      const events = (
        await t.http.get('/api/v1/admin/audit-events').query({ resourceType: 'user', limit: 100 }).set(own.admin.auth).expect(200)
      ).body.items as { action: string; actorId: string; resourceId: string }[];
      expect(events.filter((e) => e.action.startsWith('invitation.'))).toEqual([
        expect.objectContaining({ action: 'invitation.revoke', actorId: own.admin.id, resourceId: invited.body.id }),
        expect.objectContaining({ action: 'invitation.resend', actorId: own.admin.id, resourceId: invited.body.id }),
        expect.objectContaining({ action: 'invitation.create', actorId: own.admin.id, resourceId: invited.body.id }),
      ]);
    });

    it('revokes: the link dies, and the email can be invited again or register on its own', async () => {
      const invited = await invite(clinic).expect(201);
      const lookup = (token: string) => t.http.post('/api/v1/auth/accept-invitation/lookup').send({ token });
      // Its page asks first: whom it invites, while it works (asking uses nothing up).
      const working = await lookup(invited.body.invitation.token).expect(200);
      expect(working.body).toEqual({ email: invited.body.email, fullName: invited.body.fullName });
      await lookup(invited.body.invitation.token).expect(200);
      const [item] = (await listed(clinic)).filter((i) => i.email === invited.body.email);
      await t.http.delete(`/api/v1/invitations/${item.id}`).set(clinic.admin.auth).expect(204);
      const dead = await lookup(invited.body.invitation.token);
      expectProblem(dead, 400, 'validation_failed');
      expect(dead.body.errors).toEqual([{ field: 'token', message: 'is invalid, already used or expired' }]);
      expectProblem(await lookup('not-a-token'), 400, 'validation_failed');
      // Twice is fine.
      await t.http.delete(`/api/v1/invitations/${item.id}`).set(clinic.admin.auth).expect(204);
      expect((await listed(clinic)).find((i) => i.id === item.id)?.status).toBe('revoked');
      expectProblem(await acceptInvitation(t.http, invited.body.invitation.token), 400, 'validation_failed');
      expectProblem(await t.http.post(`/api/v1/invitations/${item.id}/resend`).set(clinic.admin.auth), 409, 'invalid_transition');
      await t.http.get(`/api/v1/practitioners/${invited.body.id}`).set(clinic.admin.auth).expect(404);

      const again = await invite(clinic, { email: invited.body.email }).expect(201);
      await t.http
        .delete(`/api/v1/invitations/${(await listed(clinic))[0].id}`)
        .set(clinic.admin.auth)
        .expect(204);
      await t.http
        .post('/api/v1/auth/register-clinic')
        .send({ clinic: clinicPayload(), admin: { email: again.body.email, password: PASSWORD, fullName: 'Own Practice' } })
        .expect(201);
    });

    it('withdraws the invitation of someone deactivated before joining; inviting them again brings them back', async () => {
      const invited = await invite(clinic, { fullName: 'Uma Withdrawn' }).expect(201);
      const [item] = (await listed(clinic)).filter((i) => i.email === invited.body.email);
      await t.http.post(`/api/v1/practitioners/${invited.body.id}/deactivate`).set(clinic.admin.auth).expect(200);
      expect((await listed(clinic)).find((i) => i.id === item.id)?.status).toBe('revoked');
      // No link that cannot work: neither the old one nor a re-sent one.
      expectProblem(await acceptInvitation(t.http, invited.body.invitation.token), 400, 'validation_failed');
      expectProblem(await t.http.post(`/api/v1/invitations/${item.id}/resend`).set(clinic.admin.auth), 409, 'invalid_transition');

      const again = await invite(clinic, { email: invited.body.email }).expect(201);
      expect(again.body).toMatchObject({ id: invited.body.id, status: 'invited' });
      expect((await listed(clinic)).find((i) => i.id === item.id)?.status).toBe('pending');
      const joined = await acceptInvitation(t.http, again.body.invitation.token).expect(200);
      expect(joined.body.user).toMatchObject({ id: invited.body.id, status: 'active' });
    });

    it('answers 404 for another clinic’s invitation and 403 to a practitioner', async () => {
      const invited = await invite(clinic).expect(201);
      const [item] = (await listed(clinic)).filter((i) => i.email === invited.body.email);
      expectProblem(await t.http.post(`/api/v1/invitations/${item.id}/resend`).set(other.admin.auth), 404, 'not_found');
      expectProblem(await t.http.delete(`/api/v1/invitations/${item.id}`).set(other.admin.auth), 404, 'not_found');
      const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
      expectProblem(await t.http.post(`/api/v1/invitations/${item.id}/resend`).set(lmt.auth), 403, 'forbidden');
      expectProblem(await t.http.delete(`/api/v1/invitations/${item.id}`).set(lmt.auth), 403, 'forbidden');
      expectProblem(await t.http.post('/api/v1/invitations/not-a-uuid/resend').set(clinic.admin.auth), 400, 'validation_failed');
    });
  });
});

describe('invitation links without PUBLIC_URL', () => {
  let direct: TestApp;
  let proxied: TestApp;
  beforeAll(async () => {
    direct = await startTestApp({ PUBLIC_URL: '' });
    proxied = await startTestApp({ PUBLIC_URL: '', TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await direct.close();
    await proxied.close();
  });

  const inviteVia = async (app: TestApp, headers: Record<string, string>) => {
    const clinic = await registerClinic(app.http);
    const res = await app.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .set(headers)
      .send(practitionerPayload('massage_therapist', new Date()))
      .expect(201);
    return res.body.invitation.url as string;
  };

  it('are built from the address the app was opened on, ignoring forwarded headers without TRUST_PROXY', async () => {
    const url = await inviteVia(direct, { Host: '192.168.1.20:3000', 'X-Forwarded-Host': 'evil.example' });
    expect(url).toMatch(/^http:\/\/192\.168\.1\.20:3000\/accept-invitation#token=/);
  });

  it('follow X-Forwarded-Host and -Proto behind a trusted proxy', async () => {
    const url = await inviteVia(proxied, {
      Host: '10.0.0.5:3000',
      'X-Forwarded-Host': 'clinic.example',
      'X-Forwarded-Proto': 'https',
    });
    expect(url).toMatch(/^https:\/\/clinic\.example\/accept-invitation#token=/);
  });
});

describe('invitation emails', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let worker: Awaited<ReturnType<typeof createWorkerContext>> | undefined;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    // No worker yet: the invite and its resend are both in the outbox before anything is sent.
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_SWEEP_INTERVAL: '500ms', NOTIFICATION_RETRY_BASE_DELAY: '20ms' });
  });
  afterAll(async () => {
    await worker?.close();
    await t.close();
    await smtp.close();
  });

  it('emails only the newest link: the email of a re-sent invitation never carries the dead one', async () => {
    const clinic = await registerClinic(t.http, { name: 'Harbor Massage' });
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .send(practitionerPayload('massage_therapist', new Date()))
      .expect(201);
    const [item] = (await t.http.get('/api/v1/invitations').set(clinic.admin.auth).expect(200)).body.items;
    const resent = await t.http.post(`/api/v1/invitations/${item.id}/resend`).set(clinic.admin.auth).expect(200);

    worker = await createWorkerContext(t.config, pino({ level: 'silent' }));
    const email: string = invited.body.email;
    const mail = await eventually(() => smtp.messages.find((m: CapturedEmail) => m.to.includes(email)), 'invitation email');
    const body = mail.raw
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    const token = decodeURIComponent(/accept-invitation#token=([A-Za-z0-9_%-]+)/.exec(body)![1]);
    expect(token).toBe(resent.body.invitation.token);
    // Until when, as the clinic (America/Chicago) reads it, not in UTC.
    expect(body).toMatch(/The link works until \w+day, \w+ \d+, \d{4} at \d+:\d{2}\s[AP]M C[SD]T\./);
    // Both deliveries are settled: the first one skipped, not sent.
    const deliveries = await eventually(async () => {
      const rows = await sql<{ status: string; last_error: string | null }>(
        t,
        `SELECT status, last_error FROM notification_deliveries WHERE notification_type = 'invitation.created' ORDER BY last_error NULLS LAST`,
      );
      return rows.length === 2 && rows.every((r) => r.status !== 'pending') ? rows : undefined;
    }, 'both invitation deliveries settled');
    expect(deliveries.map((d) => [d.status, d.last_error])).toEqual([
      ['skipped', 'invitation no longer open'],
      ['delivered', null],
    ]);
    expect(smtp.messages.filter((m: CapturedEmail) => m.to.includes(email))).toHaveLength(1);
  });
});

describe('admins hear of escalations by their rights, not their role', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(
      {
        REMINDER_AFTER: '1s',
        ESCALATE_AFTER: '2s',
        EXPIRE_AFTER: '1h',
        TIMER_SWEEP_INTERVAL: '250ms',
        OUTBOX_SWEEP_INTERVAL: '250ms',
      },
      { worker: true },
    );
  });
  afterAll(() => t.close());

  const escalations = async (user: SignedInUser, referralId: string) =>
    (
      (await t.http.get('/api/v1/notifications').set(user.auth).expect(200)).body.items as { type: string; referralId: string }[]
    ).filter((n) => n.referralId === referralId && n.type === 'escalated').length;

  it('tells a practitioner-admin of the recipient clinic (not a plain colleague), and a solo recipient as her clinic’s admin', async () => {
    const massage = await registerClinic(t.http);
    const lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    const physio = await registerClinic(t.http);
    const pt = await addPractitioner(t.http, physio, 'physical_therapist');
    const ptAdmin = await addPractitioner(t.http, physio, 'physical_therapist');
    const colleague = await addPractitioner(t.http, physio, 'physical_therapist');
    await t.http.patch(`/api/v1/practitioners/${ptAdmin.id}`).set(physio.admin.auth).send({ isAdmin: true }).expect(200);
    // A solo PT: the recipient and the only admin of her clinic.
    const soloRes = await t.http
      .post('/api/v1/auth/register-clinic')
      .send({
        clinic: clinicPayload(),
        admin: {
          email: uniqueEmail('solo-pt'),
          password: PASSWORD,
          fullName: 'Sol Physio',
          practitioner: {
            role: 'physical_therapist',
            licence: { number: 'PT-1', region: 'TX', expiresOn: isoDateFrom(new Date(), 365) },
          },
        },
      })
      .expect(201);
    const solo = asUser(soloRes.body as SignedInBody);

    const patient = await createPatient(t.http, lmt);
    const toClinic = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    const toSolo = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, solo.id)), 'send');

    await eventually(async () => (await escalations(ptAdmin, toClinic.id)) === 1, 'escalation to the practitioner-admin');
    await eventually(async () => (await escalations(solo, toSolo.id)) === 1, 'escalation to the solo recipient');
    expect(await escalations(physio.admin, toClinic.id)).toBe(1);
    expect(await escalations(colleague, toClinic.id)).toBe(0);
    expect(await escalations(solo, toSolo.id)).toBe(1);
  });
});
