import { randomUUID } from 'node:crypto';
import { REFERRAL_ACTIONS } from '@referloop/common';
import { Client } from 'pg';
import type TestAgent from 'supertest/lib/agent';
import {
  actionBody,
  actOk,
  createPatient,
  createReferral,
  injuryReferralBody,
  maintenanceReferralBody,
  referralIn,
} from './support/referral-helpers';
import { eventually } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

type Route = { name: string; call: (http: TestAgent) => ReturnType<TestAgent['get']> };

/**
 * Object-level authorisation over every route that takes an id: anyone who is not a party (or,
 * for patients, not of the patient's clinic) gets 404, never 403; and every read and write of a
 * patient or referral leaves an append-only audit row.
 */
describe('referral and patient access', () => {
  let t: TestApp;
  let sql: Client;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let outsiderClinic: TestClinic;
  let lmt: SignedInUser;
  let lmtColleague: SignedInUser;
  let pt: SignedInUser;
  let ptColleague: SignedInUser;
  let outsiderPt: SignedInUser;
  let patient: { id: string; consents: { id: string }[] };
  let referral: { id: string; version: number };
  let draft: { id: string; version: number };
  let attachmentId: string;
  let draftAttachmentId: string;

  const upload = (user: SignedInUser | null, referralId: string) => {
    const req = t.http.post(`/api/v1/referrals/${referralId}/attachments`);
    if (user) void req.set(user.auth);
    return req.attach('file', PDF, 'notes.pdf');
  };

  /** Every route with a patient id, called as `user` (or with no token). */
  const patientRoutes = (user: SignedInUser | null): Route[] => {
    const auth = user ? user.auth : {};
    return [
      { name: 'GET /patients/:id', call: (http) => http.get(`/api/v1/patients/${patient.id}`).set(auth) },
      {
        name: 'PATCH /patients/:id',
        call: (http) => http.patch(`/api/v1/patients/${patient.id}`).set(auth).send({ firstName: 'Hijacked' }),
      },
      {
        name: 'POST /patients/:id/consents',
        call: (http) => http.post(`/api/v1/patients/${patient.id}/consents`).set(auth).send({ scope: 'patient_notifications' }),
      },
      {
        name: 'POST /patients/:id/consents/:consentId/revoke',
        call: (http) => http.post(`/api/v1/patients/${patient.id}/consents/${patient.consents[0].id}/revoke`).set(auth),
      },
    ];
  };

  /** Every route with a referral id, called as `user` (or with no token), against referral `target`. */
  const referralRoutes = (
    user: SignedInUser | null,
    target: () => { id: string; version: number },
    attachment: () => string,
  ): Route[] => {
    const auth = user ? user.auth : {};
    return [
      { name: 'GET /referrals/:id', call: (http) => http.get(`/api/v1/referrals/${target().id}`).set(auth) },
      { name: 'GET /referrals/:id/events', call: (http) => http.get(`/api/v1/referrals/${target().id}/events`).set(auth) },
      ...REFERRAL_ACTIONS.map((action) => ({
        name: `POST /referrals/:id/${action}`,
        call: (http: TestAgent) =>
          http
            .post(`/api/v1/referrals/${target().id}/${action}`)
            .set(auth)
            .send({ version: target().version, ...actionBody(action) }),
      })),
      {
        name: 'POST /referrals/:id/attachments',
        call: (http) => {
          const req = http.post(`/api/v1/referrals/${target().id}/attachments`).set(auth);
          return req.attach('file', PDF, 'notes.pdf');
        },
      },
      {
        name: 'GET /referrals/:id/attachments/:attachmentId',
        call: (http) => http.get(`/api/v1/referrals/${target().id}/attachments/${attachment()}`).set(auth),
      },
    ];
  };

  const auditDetails = async (requestId: string) =>
    (await sql.query(`SELECT action, details FROM audit_events WHERE request_id = $1 ORDER BY id`, [requestId])).rows;

  const auditRows = async (requestId: string) =>
    (
      await sql.query(
        `SELECT actor_id, clinic_id, action, resource_type, resource_id, outcome, ip FROM audit_events WHERE request_id = $1 ORDER BY id`,
        [requestId],
      )
    ).rows;

  beforeAll(async () => {
    // The worker runs so that notifications (or their absence) can be checked.
    t = await startTestApp({}, { worker: true });
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    outsiderClinic = await registerClinic(t.http, { name: 'Elsewhere Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    lmtColleague = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    ptColleague = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    outsiderPt = await addPractitioner(t.http, outsiderClinic, 'physical_therapist');
    patient = (await createPatient(t.http, lmt, { firstName: 'Jamie', lastName: 'Rivera' })) as unknown as typeof patient;

    const created = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    attachmentId = (await upload(lmt, created.id).expect(201)).body.id;
    referral = await actOk(t.http, lmt, created, 'send');
    draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    draftAttachmentId = (await upload(lmt, draft.id).expect(201)).body.id;
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  describe('patients', () => {
    it.each([
      ['an admin of another clinic', () => outsiderClinic.admin],
      ['a practitioner of another clinic', () => outsiderPt],
      ["the referral's recipient (another clinic)", () => pt],
      ["the recipient clinic's admin", () => ptClinic.admin],
    ])('%s gets 404 on every patient route, and nothing changes', async (_label, who) => {
      for (const route of patientRoutes(who())) {
        const res = await route.call(t.http);
        expect({ route: route.name, status: res.status }).toEqual({ route: route.name, status: 404 });
        expectProblem(res, 404, 'not_found');
      }
      const own = await t.http.get(`/api/v1/patients/${patient.id}`).set(lmt.auth).expect(200);
      expect(own.body.firstName).toBe('Jamie');
      expect(own.body.consents).toEqual([expect.objectContaining({ id: patient.consents[0].id, active: true })]);
    });

    it("another clinic's patient answers exactly like a patient that does not exist", async () => {
      const foreign = await t.http.get(`/api/v1/patients/${patient.id}`).set(outsiderClinic.admin.auth);
      const missing = await t.http.get(`/api/v1/patients/${randomUUID()}`).set(outsiderClinic.admin.auth);
      expect(foreign.status).toBe(404);
      expect({ ...foreign.body, instance: undefined, requestId: undefined }).toEqual({
        ...missing.body,
        instance: undefined,
        requestId: undefined,
      });
    });

    it("a colleague in the patient's clinic may read the patient (patients belong to the clinic)", async () => {
      await t.http.get(`/api/v1/patients/${patient.id}`).set(lmtColleague.auth).expect(200);
      await t.http.get(`/api/v1/patients/${patient.id}`).set(massageClinic.admin.auth).expect(200);
    });

    it('a consent id of another patient is 404 under this patient', async () => {
      const other = (await createPatient(t.http, outsiderPt)) as unknown as typeof patient;
      const res = await t.http.post(`/api/v1/patients/${patient.id}/consents/${other.consents[0].id}/revoke`).set(lmt.auth);
      expectProblem(res, 404, 'not_found');
      const mine = (await createPatient(t.http, lmt)) as unknown as typeof patient;
      const crossed = await t.http.post(`/api/v1/patients/${mine.id}/consents/${patient.consents[0].id}/revoke`).set(lmt.auth);
      expectProblem(crossed, 404, 'not_found');
      const { rows } = await sql.query(`SELECT revoked_at FROM patient_consents WHERE id = ANY($1)`, [
        [other.consents[0].id, patient.consents[0].id],
      ]);
      expect(rows).toEqual([{ revoked_at: null }, { revoked_at: null }]);
    });

    it('the recipient sees the patient summary through the referral', async () => {
      const res = await t.http.get(`/api/v1/referrals/${referral.id}`).set(pt.auth).expect(200);
      expect(res.body.patient).toEqual({
        id: patient.id,
        firstName: 'Jamie',
        lastName: 'Rivera',
        dateOfBirth: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        email: 'jamie.rivera@example.test',
        phone: '+1 512 555 0199',
        preferredContact: 'email',
      });
      // …but not the patient record itself, consents and all.
      expect(res.body.patient.consents).toBeUndefined();
      referral = res.body;
    });
  });

  describe('referrals', () => {
    const cases: [string, () => SignedInUser][] = [
      ['an admin of another clinic', () => outsiderClinic.admin],
      ['a practitioner of another clinic', () => outsiderPt],
      ["a practitioner of the sender's clinic who is not a party", () => lmtColleague],
      ["a practitioner of the recipient's clinic who is not a party", () => ptColleague],
    ];

    it.each(cases)('%s gets 404 on every referral route, and nothing changes', async (_label, who) => {
      const before = (await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200)).body;
      for (const route of referralRoutes(
        who(),
        () => before,
        () => attachmentId,
      )) {
        const res = await route.call(t.http);
        expect({ route: route.name, status: res.status }).toEqual({ route: route.name, status: 404 });
        expectProblem(res, 404, 'not_found');
      }
      const after = (await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200)).body;
      expect(after).toMatchObject({ status: before.status, version: before.version });
      expect(after.timeline).toHaveLength(before.timeline.length);
      expect(after.attachments).toHaveLength(1);
    });

    it.each([
      ['the recipient', () => pt],
      ["the recipient clinic's admin", () => ptClinic.admin],
    ])('%s gets 404 on every route of a draft', async (_label, who) => {
      for (const route of referralRoutes(
        who(),
        () => draft,
        () => draftAttachmentId,
      )) {
        const res = await route.call(t.http);
        expect({ route: route.name, status: res.status }).toEqual({ route: route.name, status: 404 });
      }
      const after = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200)).body;
      expect(after).toMatchObject({ status: 'draft', version: draft.version });
      expect(after.attachments).toHaveLength(1);
    });

    it("another clinic's referral answers exactly like a referral that does not exist", async () => {
      const foreign = await t.http.get(`/api/v1/referrals/${referral.id}`).set(outsiderPt.auth);
      const missing = await t.http.get(`/api/v1/referrals/${randomUUID()}`).set(outsiderPt.auth);
      expect(foreign.status).toBe(404);
      expect({ ...foreign.body, instance: undefined, requestId: undefined }).toEqual({
        ...missing.body,
        instance: undefined,
        requestId: undefined,
      });
    });

    it('an attachment is reached only through its own referral', async () => {
      // The sender owns both referrals, but the draft's attachment is not under the sent one.
      const res = await t.http.get(`/api/v1/referrals/${referral.id}/attachments/${draftAttachmentId}`).set(lmt.auth);
      expectProblem(res, 404, 'not_found');
      const ok = await t.http.get(`/api/v1/referrals/${referral.id}/attachments/${attachmentId}`).set(lmt.auth);
      expect(ok.status).toBe(200);
    });

    it("a referral does not show in another clinic's lists", async () => {
      for (const user of [outsiderClinic.admin, outsiderPt, lmtColleague, ptColleague]) {
        const res = await t.http.get('/api/v1/referrals').set(user.auth).expect(200);
        expect(res.body.items.map((r: { id: string }) => r.id)).not.toContain(referral.id);
      }
    });

    it("a follow-up by the practitioner a referral was reassigned to never answers or edits the former recipient's draft", async () => {
      // Practitioners of their own, so that the other tests' parties, lists and non-parties stay as they are.
      const sender = await addPractitioner(t.http, massageClinic, 'massage_therapist');
      const formerRecipient = await addPractitioner(t.http, ptClinic, 'physical_therapist');
      const newOwner = await addPractitioner(t.http, ptClinic, 'physical_therapist');
      const client = await createPatient(t.http, sender);
      let source = await referralIn(t.http, { sender, recipient: formerRecipient }, client.id, 'in_care');
      const plan = { frequencyWeeks: 2, pressure: 'light', precautions: 'Avoid the left AC joint' };
      const theirs = await t.http
        .post(`/api/v1/referrals/${source.id}/follow-up`)
        .set(formerRecipient.auth)
        .send({ reason: 'The former recipient drafts this one', plan })
        .expect(201);
      source = (
        await t.http
          .post(`/api/v1/referrals/${source.id}/reassign`)
          .set(ptClinic.admin.auth)
          .send({ version: source.version, practitionerId: newOwner.id })
          .expect(200)
      ).body;
      // The former recipient's draft is theirs alone: the new owner reads nothing of it…
      await t.http.get(`/api/v1/referrals/${theirs.body.id}`).set(newOwner.auth).expect(404);
      // …and their own follow-up is a new draft of their own, not that one answered or edited.
      const mine = await t.http
        .post(`/api/v1/referrals/${source.id}/follow-up`)
        .set(newOwner.auth)
        .send({ reason: 'Overwritten by the new owner' })
        .expect(201);
      expect(mine.body.id).not.toBe(theirs.body.id);
      expect(mine.body).toMatchObject({ senderId: newOwner.id, previousId: source.id, reason: 'Overwritten by the new owner' });
      const { rows } = await sql.query(`SELECT sender_id, reason, version FROM referrals WHERE id = $1`, [theirs.body.id]);
      expect(rows).toEqual([{ sender_id: formerRecipient.id, reason: 'The former recipient drafts this one', version: 1 }]);
      // A repeat of the new owner's follow-up still answers their own draft (200), as before.
      const again = await t.http
        .post(`/api/v1/referrals/${source.id}/follow-up`)
        .set(newOwner.auth)
        .send({ reason: 'Overwritten by the new owner' })
        .expect(200);
      expect(again.body.id).toBe(mine.body.id);
    });
  });

  describe('a draft cancelled before sending', () => {
    let senderClinic: TestClinic;
    let recipientClinic: TestClinic;
    let sender: SignedInUser;
    let recipient: SignedInUser;
    let cancelled: { id: string; version: number };
    let cancelledAttachmentId: string;
    let sent: { id: string };

    beforeAll(async () => {
      senderClinic = await registerClinic(t.http, { name: 'Quiet Massage' });
      recipientClinic = await registerClinic(t.http, { name: 'Quiet Physio' });
      sender = await addPractitioner(t.http, senderClinic, 'massage_therapist');
      recipient = await addPractitioner(t.http, recipientClinic, 'physical_therapist');
      // No consent: this referral could never have been sent.
      const unconsented = await createPatient(t.http, sender, { firstName: 'Never', lastName: 'Shared' }, false);
      const draftOne = await createReferral(t.http, sender, injuryReferralBody(unconsented.id, recipient.id));
      cancelledAttachmentId = (await upload(sender, draftOne.id).expect(201)).body.id;
      cancelled = await actOk(t.http, sender, draftOne, 'cancel', actionBody('cancel'));
      expect(cancelled).toMatchObject({ status: 'cancelled', sentAt: null });
      // A referral that was sent, created after the cancelled one: what the recipient side does see.
      const consented = await createPatient(t.http, sender);
      sent = await actOk(
        t.http,
        sender,
        await createReferral(t.http, sender, injuryReferralBody(consented.id, recipient.id)),
        'send',
      );
    });

    it.each([
      ['the recipient', () => recipient],
      ["the recipient clinic's admin", () => recipientClinic.admin],
    ])('%s gets 404 on every route of it, like a referral that does not exist', async (_label, who) => {
      for (const route of referralRoutes(
        who(),
        () => cancelled,
        () => cancelledAttachmentId,
      )) {
        const res = await route.call(t.http);
        expect({ route: route.name, status: res.status }).toEqual({ route: route.name, status: 404 });
        expectProblem(res, 404, 'not_found');
      }
      const foreign = await t.http.get(`/api/v1/referrals/${cancelled.id}`).set(who().auth);
      const missing = await t.http.get(`/api/v1/referrals/${randomUUID()}`).set(who().auth);
      expect({ ...foreign.body, instance: undefined, requestId: undefined }).toEqual({
        ...missing.body,
        instance: undefined,
        requestId: undefined,
      });
      const after = (await t.http.get(`/api/v1/referrals/${cancelled.id}`).set(sender.auth).expect(200)).body;
      expect(after).toMatchObject({ status: 'cancelled', version: cancelled.version });
      expect(after.attachments).toHaveLength(1);
    });

    it('is in no list of the recipient side, while the sent one is', async () => {
      const ids = async (user: SignedInUser, query: Record<string, string>) =>
        (await t.http.get('/api/v1/referrals').query(query).set(user.auth).expect(200)).body.items.map(
          (r: { id: string }) => r.id,
        );
      expect(await ids(recipient, { box: 'received' })).toEqual([sent.id]);
      expect(await ids(recipient, {})).toEqual([sent.id]);
      expect(await ids(recipientClinic.admin, { box: 'clinic' })).toEqual([sent.id]);
      expect(await ids(recipientClinic.admin, { box: 'received' })).toEqual([sent.id]);
      expect(await ids(recipientClinic.admin, { status: 'cancelled' })).toEqual([]);
      // The sender side still has both.
      expect(await ids(senderClinic.admin, { box: 'clinic' })).toEqual([sent.id, cancelled.id]);
    });

    it("is not in the recipient clinic's overdue list, metrics or CSV export", async () => {
      const overdue = await t.http.get('/api/v1/admin/referrals/overdue').set(recipientClinic.admin.auth).expect(200);
      expect(overdue.body.items.map((r: { id: string }) => r.id)).not.toContain(cancelled.id);

      const metrics = (await t.http.get('/api/v1/admin/metrics').set(recipientClinic.admin.auth).expect(200)).body;
      expect(metrics.clinic).toMatchObject({ total: 1, byStatus: expect.objectContaining({ sent: 1, cancelled: 0 }) });
      expect(metrics.received).toMatchObject({ total: 1, byStatus: expect.objectContaining({ cancelled: 0 }) });
      const perRecipient = metrics.practitioners.find((p: { practitionerId: string }) => p.practitionerId === recipient.id);
      expect(perRecipient.received).toMatchObject({ total: 1, byStatus: expect.objectContaining({ cancelled: 0 }) });
      // The sender's clinic counts its own cancelled draft.
      const own = (await t.http.get('/api/v1/admin/metrics').set(senderClinic.admin.auth).expect(200)).body;
      expect(own.clinic).toMatchObject({ total: 2, byStatus: expect.objectContaining({ cancelled: 1 }) });

      const csv = await t.http.get('/api/v1/admin/referrals/export.csv').set(recipientClinic.admin.auth).expect(200);
      expect(csv.text).toContain(sent.id);
      expect(csv.text).not.toContain(cancelled.id);
      expect(csv.text).not.toContain('Never');
    });

    it('brings no notification of any kind to the recipient side', async () => {
      const inbox = async (user: SignedInUser) =>
        (await t.http.get('/api/v1/notifications').set(user.auth).expect(200)).body.items as { referralId: string }[];
      await eventually(
        async () => (await inbox(recipient)).some((n) => n.referralId === sent.id),
        'the sent referral notification',
      );
      // The relay marks an event published in the transaction that writes its deliveries: once both
      // of the cancelled draft's events (created, cancelled) are published, their fan-out is done.
      await eventually(async () => {
        const events = await sql.query(`SELECT published_at FROM outbox_events WHERE referral_id = $1`, [cancelled.id]);
        return events.rows.length === 2 && events.rows.every((e) => e.published_at !== null);
      }, "the cancelled draft's events fanned out");
      for (const user of [recipient, recipientClinic.admin]) {
        expect((await inbox(user)).filter((n) => n.referralId === cancelled.id)).toEqual([]);
      }
      const deliveries = await sql.query(
        `SELECT count(*)::int AS n FROM notification_deliveries WHERE referral_id = $1 AND clinic_id = $2`,
        [cancelled.id, recipientClinic.clinicId],
      );
      expect(deliveries.rows[0].n).toBe(0);
    });
  });

  describe('no token', () => {
    it('is 401 on every route with an id', async () => {
      const routes = [
        ...patientRoutes(null),
        ...referralRoutes(
          null,
          () => referral,
          () => attachmentId,
        ),
      ];
      for (const route of routes) {
        const res = await route.call(t.http);
        expect({ route: route.name, status: res.status }).toEqual({ route: route.name, status: 401 });
        expectProblem(res, 401, 'unauthenticated');
      }
      for (const res of [
        await t.http.get('/api/v1/referrals'),
        await t.http.post('/api/v1/referrals').send(injuryReferralBody(patient.id, pt.id)),
        await t.http.get('/api/v1/patients'),
        await t.http.post('/api/v1/patients').send({}),
      ]) {
        expectProblem(res, 401, 'unauthenticated');
      }
    });

    it('is 401 with a token that is not one', async () => {
      const res = await t.http.get(`/api/v1/referrals/${referral.id}`).set('Authorization', 'Bearer not.a.token');
      expectProblem(res, 401, 'unauthenticated');
    });
  });

  describe('audit', () => {
    const IP = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

    it('records which fields a patient edit changed, not every field the form sent', async () => {
      const current = (await t.http.get(`/api/v1/patients/${patient.id}`).set(lmt.auth).expect(200)).body;
      const form = {
        firstName: current.firstName,
        lastName: current.lastName,
        dateOfBirth: current.dateOfBirth,
        email: current.email,
        phone: '+1 512 555 0142',
        preferredContact: current.preferredContact,
      };
      const fieldsOf = async (body: object) => {
        const res = await t.http.patch(`/api/v1/patients/${patient.id}`).set(lmt.auth).send(body).expect(200);
        const { rows } = await sql.query(`SELECT details FROM audit_events WHERE request_id = $1 AND action = 'patient.update'`, [
          res.headers['x-request-id'],
        ]);
        return rows.map((row: { details: { fields: string[] } }) => row.details.fields);
      };
      expect(await fieldsOf(form)).toEqual([['phone']]);
      expect(await fieldsOf(form)).toEqual([[]]);
      expect(await fieldsOf({ ...form, firstName: `${current.firstName}x`, email: null })).toEqual([
        current.email === null ? ['firstName'] : ['firstName', 'email'],
      ]);
    });

    it('records patient reads and writes with actor, clinic, action, resource and ip', async () => {
      const read = await t.http.get(`/api/v1/patients/${patient.id}`).set(lmtColleague.auth).expect(200);
      expect(await auditRows(read.headers['x-request-id'])).toEqual([
        {
          actor_id: lmtColleague.id,
          clinic_id: massageClinic.clinicId,
          action: 'patient.read',
          resource_type: 'patient',
          resource_id: patient.id,
          outcome: 'success',
          ip: expect.stringMatching(IP),
        },
      ]);
      const write = await t.http
        .patch(`/api/v1/patients/${patient.id}`)
        .set(lmt.auth)
        .send({ phone: '+1 512 555 0123' })
        .expect(200);
      expect(await auditRows(write.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          actor_id: lmt.id,
          clinic_id: massageClinic.clinicId,
          action: 'patient.update',
          resource_id: patient.id,
          ip: expect.stringMatching(IP),
        }),
      ]);
      const consent = await t.http
        .post(`/api/v1/patients/${patient.id}/consents`)
        .set(lmt.auth)
        .send({ scope: 'patient_notifications' })
        .expect(201);
      expect(await auditRows(consent.headers['x-request-id'])).toEqual([
        expect.objectContaining({ actor_id: lmt.id, action: 'consent.grant', resource_type: 'patient', resource_id: patient.id }),
      ]);
      const list = await t.http.get('/api/v1/patients').set(lmt.auth).expect(200);
      expect(await auditRows(list.headers['x-request-id'])).toEqual([
        expect.objectContaining({ actor_id: lmt.id, action: 'patient.list' }),
      ]);
    });

    it('records referral reads, actions and downloads, and refused attempts as not_found', async () => {
      const read = await t.http.get(`/api/v1/referrals/${referral.id}`).set(pt.auth).expect(200);
      expect(await auditRows(read.headers['x-request-id'])).toEqual([
        {
          actor_id: pt.id,
          clinic_id: ptClinic.clinicId,
          action: 'referral.read',
          resource_type: 'referral',
          resource_id: referral.id,
          outcome: 'success',
          ip: expect.stringMatching(IP),
        },
      ]);

      const accepted = await t.http
        .post(`/api/v1/referrals/${referral.id}/accept`)
        .set(pt.auth)
        .send({ version: read.body.version })
        .expect(200);
      expect(await auditRows(accepted.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          actor_id: pt.id,
          clinic_id: ptClinic.clinicId,
          action: 'referral.accept',
          resource_id: referral.id,
          outcome: 'success',
        }),
      ]);
      referral = accepted.body;

      const download = await t.http.get(`/api/v1/referrals/${referral.id}/attachments/${attachmentId}`).set(pt.auth).expect(200);
      expect(await auditRows(download.headers['x-request-id'])).toEqual([
        expect.objectContaining({ actor_id: pt.id, action: 'attachment.download', resource_id: referral.id }),
      ]);

      const denied = await t.http.get(`/api/v1/referrals/${referral.id}`).set(outsiderPt.auth).expect(404);
      expect(await auditRows(denied.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          actor_id: outsiderPt.id,
          clinic_id: outsiderClinic.clinicId,
          action: 'referral.read',
          resource_id: referral.id,
          outcome: 'not_found',
        }),
      ]);

      const created = await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .send(injuryReferralBody(patient.id, pt.id))
        .expect(201);
      expect(await auditRows(created.headers['x-request-id'])).toEqual([
        expect.objectContaining({ actor_id: lmt.id, action: 'referral.create', resource_id: created.body.id }),
      ]);
    });

    it('a database error while reading a referral is an error, not a 404 audited as not_found', async () => {
      // The visibility check reads the patient's consents: make that read fail.
      await sql.query(`ALTER TABLE patient_consents RENAME TO patient_consents_unavailable`);
      try {
        const res = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth);
        expect(res.status).toBe(500);
        expect(res.body.code).not.toBe('not_found');
        expect(await auditRows(res.headers['x-request-id'])).toEqual([]);
      } finally {
        await sql.query(`ALTER TABLE patient_consents_unavailable RENAME TO patient_consents`);
      }
      await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    });

    it('records list reads with the ids they showed', async () => {
      const referrals = await t.http.get('/api/v1/referrals').query({ limit: 2 }).set(lmt.auth).expect(200);
      expect(referrals.body.items).toHaveLength(2);
      const [referralList] = await auditDetails(referrals.headers['x-request-id']);
      expect(referralList).toEqual({
        action: 'referral.list',
        details: expect.objectContaining({ ids: referrals.body.items.map((r: { id: string }) => r.id) }),
      });
      const patients = await t.http.get('/api/v1/patients').set(lmt.auth).expect(200);
      expect(patients.body.items.length).toBeGreaterThan(0);
      const [patientList] = await auditDetails(patients.headers['x-request-id']);
      expect(patientList).toEqual({
        action: 'patient.list',
        details: expect.objectContaining({ ids: patients.body.items.map((p: { id: string }) => p.id) }),
      });
    });

    it("shows each clinic the other clinic's reads of the referrals it is party to, never a never-sent draft's", async () => {
      const auditLog = async (clinic: TestClinic, query: Record<string, string>) =>
        (
          await t.http
            .get('/api/v1/admin/audit-events')
            .query({ limit: '100', ...query })
            .set(clinic.admin.auth)
            .expect(200)
        ).body.items as {
          actorId: string;
          actorName: string | null;
          clinicId: string;
          clinicName: string | null;
          action: string;
          resourceId: string | null;
          ip: string | null;
          details: { ids?: string[] } | null;
        }[];

      // The PT clinic reads a referral about the massage clinic's patient: the massage clinic sees it,
      // and who it was (by name, and their clinic), though not from where.
      await t.http.get(`/api/v1/referrals/${referral.id}`).set(pt.auth).expect(200);
      const ptName = (await t.http.get(`/api/v1/practitioners/${pt.id}`).set(pt.auth).expect(200)).body.fullName as string;
      const seenBySender = await auditLog(massageClinic, { actorId: pt.id, action: 'referral.read' });
      expect(seenBySender).toContainEqual(
        expect.objectContaining({
          actorId: pt.id,
          actorName: ptName,
          clinicId: ptClinic.clinicId,
          clinicName: 'Capitol Physio',
          resourceId: referral.id,
          ip: null,
        }),
      );
      expect(seenBySender.length).toBeGreaterThan(0);

      // …and the other way round: the sender side's reads show in the recipient clinic's log.
      await t.http.get(`/api/v1/referrals/${referral.id}/events`).set(lmtColleague.auth).expect(404);
      await t.http.get(`/api/v1/referrals/${referral.id}/events`).set(lmt.auth).expect(200);
      const seenByRecipient = await auditLog(ptClinic, {
        resourceId: referral.id,
        action: 'referral.read_events',
        actorId: lmt.id,
      });
      expect(seenByRecipient.map((row) => [row.clinicId, row.ip])).toEqual([[massageClinic.clinicId, null]]);
      // The colleague's refused attempt stays in the massage clinic's own log.
      expect(await auditLog(ptClinic, { actorId: lmtColleague.id })).toEqual([]);

      // A list read shows the other clinic only the ids of its own referrals.
      const ptDraft = await createReferral(t.http, pt, maintenanceReferralBody((await createPatient(t.http, pt)).id, lmt.id));
      const listed = await t.http.get('/api/v1/referrals').set(pt.auth).expect(200);
      const listedIds = listed.body.items.map((r: { id: string }) => r.id);
      expect(listedIds).toEqual(expect.arrayContaining([referral.id, ptDraft.id]));
      const listRows = await auditLog(massageClinic, { actorId: pt.id, action: 'referral.list' });
      expect(listRows[0].details?.ids).toEqual(listedIds.filter((id: string) => id !== ptDraft.id));

      // A draft is the sender's alone: the recipient clinic does not see its reads.
      await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200);
      expect(await auditLog(massageClinic, { resourceId: draft.id, actorId: lmt.id })).not.toEqual([]);
      expect(await auditLog(ptClinic, { resourceId: draft.id, actorId: lmt.id })).toEqual([]);
      // An outsider's failed attempt stays in the outsider's own log.
      await t.http.get(`/api/v1/referrals/${referral.id}`).set(outsiderPt.auth).expect(404);
      expect(await auditLog(massageClinic, { actorId: outsiderPt.id })).toEqual([]);
      expect(await auditLog(outsiderClinic, { actorId: outsiderPt.id, resourceId: referral.id })).toContainEqual(
        expect.objectContaining({ action: 'referral.read', outcome: 'not_found' }),
      );
    });

    it('a refused action leaves no success row behind (the transaction rolled back)', async () => {
      const r = await referralIn(t.http, { sender: lmt, recipient: pt }, patient.id, 'sent');
      const refused = await t.http
        .post(`/api/v1/referrals/${r.id}/accept`)
        .set(pt.auth)
        .send({ version: r.version + 5 });
      expectProblem(refused, 409, 'stale_version');
      const rows = await auditRows(refused.headers['x-request-id']);
      expect(rows.filter((row) => row.outcome === 'success')).toEqual([]);
    });

    it('audit_events and referral_events are append-only: UPDATE and DELETE fail', async () => {
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM audit_events`);
      expect(rows[0].n).toBeGreaterThan(0);
      await expect(sql.query(`UPDATE audit_events SET action = 'tampered'`)).rejects.toThrow(/append-only/);
      await expect(sql.query(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
      await expect(sql.query(`UPDATE referral_events SET note = 'tampered'`)).rejects.toThrow(/append-only/);
      await expect(sql.query(`DELETE FROM referral_events`)).rejects.toThrow(/append-only/);
      const after = await sql.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'tampered'`);
      expect(after.rows[0].n).toBe(0);
    });
  });
});
