import { createHash, createHmac } from 'node:crypto';
import { getQueueToken } from '@nestjs/bullmq';
import { DELIVERIES_QUEUE, type DeliverJob, JOB, verifyWebhook } from '@referloop/notifications';
import { ReferralTimers } from '@referloop/referrals';
import type { Queue } from 'bullmq';
import { PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import type { FailedDeliveryDto } from '../apps/api/src/notifications/notification.dto';
import {
  actOk,
  createPatient,
  createReferral,
  inDays,
  injuryReferralBody,
  maintenanceReferralBody,
} from './support/referral-helpers';
import { type CapturedEmail, eventually, startSmtpSink, startWebhookSink } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/** An email as it reads: quoted-printable soft line breaks and =XX escapes undone. */
const decoded = (mail: CapturedEmail) =>
  mail.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** Notifications through the real worker: outbox → BullMQ → in-app, SMTP and signed webhooks. */
describe('notifications', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let hooks: Awaited<ReturnType<typeof startWebhookSink>>;
  let massage: TestClinic;
  let physio: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let webhookSecret: string;
  let hookFailures = 0;
  /** When set, every webhook request waits for it before being answered. */
  let hookGate: Promise<void> | undefined;

  beforeAll(async () => {
    smtp = await startSmtpSink((address) => address.startsWith('bounce-'));
    hooks = await startWebhookSink(async () => {
      await hookGate;
      return hookFailures-- > 0 ? 500 : 204;
    });
    t = await startTestApp(
      {
        SMTP_URL: smtp.url,
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        NOTIFICATION_RETRY_BASE_DELAY: '20ms',
        OUTBOX_SWEEP_INTERVAL: '500ms',
      },
      { worker: true },
    );
    massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
    const hook = await t.http
      .post('/api/v1/webhooks')
      .set(physio.admin.auth)
      .send({ url: hooks.url, eventTypes: ['referral.sent', 'referral.cancelled'] })
      .expect(201);
    webhookSecret = hook.body.secret;
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
    await hooks.close();
  });

  const inbox = async (user: SignedInUser, query: Record<string, string> = {}) =>
    (await t.http.get('/api/v1/notifications').query(query).set(user.auth).expect(200)).body;
  /** The failed list of a clinic (the PT clinic's unless said), as its admin reads it. */
  const failedDeliveries = async (clinic: TestClinic = physio): Promise<FailedDeliveryDto[]> =>
    (await t.http.get('/api/v1/admin/notifications/failed').set(clinic.admin.auth).expect(200)).body.items;

  it('tells the recipient about a new referral in-app, by email and by a signed webhook, without patient data', async () => {
    const canary = `Zyxwv${Date.now()}`;
    const patient = await createPatient(t.http, lmt, { firstName: canary, lastName: `${canary}son` });
    let referral = await createReferral(
      t.http,
      lmt,
      injuryReferralBody(patient.id, pt.id, { reason: `${canary} reason`, observations: `${canary} obs` }),
    );
    referral = await actOk(t.http, lmt, referral, 'send');

    const item = await eventually(
      async () => (await inbox(pt)).items.find((n: { referralId: string }) => n.referralId === referral.id),
      'in-app notification',
    );
    expect(item).toMatchObject({ type: 'sent', title: 'New referral from Sunrise Massage', readAt: null });
    expect((await inbox(pt, { unread: 'true' })).unreadCount).toBeGreaterThanOrEqual(1);

    const mail = await eventually(
      () => smtp.messages.find((m: CapturedEmail) => m.to.includes(pt.email) && m.raw.includes(referral.id)),
      'email',
    );
    expect(mail.raw).toContain('You have a new referral from Sunrise Massage');

    const hook = await eventually(() => hooks.requests.find((r) => r.body.includes(referral.id)), 'webhook');
    const body = JSON.parse(hook.body);
    expect(body).toMatchObject({
      event: 'referral.sent',
      referralId: referral.id,
      clinicId: physio.clinicId,
      data: { fromStatus: 'draft', toStatus: 'sent', urgent: false },
    });
    expect(
      verifyWebhook(webhookSecret, hook.body, String(hook.headers['x-referloop-signature']), Math.floor(Date.now() / 1000)),
    ).toBe(true);
    expect(
      verifyWebhook('wrong-secret', hook.body, String(hook.headers['x-referloop-signature']), Math.floor(Date.now() / 1000)),
    ).toBe(false);

    for (const text of [mail.raw, hook.body, JSON.stringify(item)]) expect(text).not.toContain(canary);

    // Marking read is the recipient's own business.
    await t.http.post(`/api/v1/notifications/${item.id}/read`).set(lmt.auth).expect(404);
    const read = await t.http.post(`/api/v1/notifications/${item.id}/read`).set(pt.auth).expect(200);
    expect(read.body.readAt).not.toBeNull();
  });

  it('marks your notifications about a referral read when you mark the referral read, and nobody else’s', async () => {
    const patient = await createPatient(t.http, lmt);
    const opened = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    const other = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    const unreadAbout = async (user: SignedInUser, referralId: string) =>
      (await inbox(user, { unread: 'true', limit: '100' })).items.filter(
        (n: { referralId: string }) => n.referralId === referralId,
      );
    await eventually(async () => ((await unreadAbout(pt, opened.id)).length > 0 ? true : undefined), 'notification of the first');
    await eventually(async () => ((await unreadAbout(pt, other.id)).length > 0 ? true : undefined), 'notification of the second');
    // The sender is told of the acceptance: their notification must stay unread when the recipient reads.
    await actOk(t.http, pt, opened, 'accept');
    await eventually(
      async () => ((await unreadAbout(lmt, opened.id)).length > 0 ? true : undefined),
      'the sender’s notification',
    );

    // Someone who may not see the referral changes nothing and learns nothing.
    const outsider = await addPractitioner(t.http, massage, 'physical_therapist');
    await t.http.post(`/api/v1/referrals/${opened.id}/read`).set(outsider.auth).expect(404);
    expect(await unreadAbout(pt, opened.id)).not.toHaveLength(0);

    await t.http.post(`/api/v1/referrals/${opened.id}/read`).set(pt.auth).expect(204);
    expect(await unreadAbout(pt, opened.id)).toEqual([]);
    const read = (await inbox(pt, { limit: '100' })).items.filter((n: { referralId: string }) => n.referralId === opened.id);
    expect(read.every((n: { readAt: string | null }) => n.readAt !== null)).toBe(true);
    expect(await unreadAbout(pt, other.id)).not.toHaveLength(0);
    expect(await unreadAbout(lmt, opened.id)).not.toHaveLength(0);
  });

  it('tells the sender when the referral is accepted, and respects an email opt-out', async () => {
    await t.http.put('/api/v1/me/notification-preferences').set(lmt.auth).send({ email: false }).expect(200);
    const prefs = await t.http.get('/api/v1/me/notification-preferences').set(lmt.auth).expect(200);
    expect(prefs.body).toEqual({ inApp: true, email: false, emailAvailable: true });

    const patient = await createPatient(t.http, lmt);
    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    referral = await actOk(t.http, lmt, referral, 'send');
    referral = await actOk(t.http, pt, referral, 'accept');
    await eventually(
      async () =>
        (await inbox(lmt)).items.find(
          (n: { referralId: string; type: string }) => n.referralId === referral.id && n.type === 'accepted',
        ),
      'accepted notification',
    );
    // The recipient's email for "sent" arrives; the sender (opted out) gets none for "accepted".
    await eventually(() => smtp.messages.find((m) => m.to.includes(pt.email) && m.raw.includes(referral.id)), 'recipient email');
    expect(smtp.messages.filter((m) => m.to.includes(lmt.email) && m.raw.includes(referral.id))).toHaveLength(0);
    // What GET answers can be sent back as it is (inApp only as true).
    const back = await t.http
      .put('/api/v1/me/notification-preferences')
      .set(lmt.auth)
      .send({ ...prefs.body, email: true })
      .expect(200);
    expect(back.body).toEqual({ inApp: true, email: true, emailAvailable: true });
    const off = await t.http.put('/api/v1/me/notification-preferences').set(lmt.auth).send({ email: true, inApp: false });
    expect([off.status, off.body.errors?.[0]?.field]).toEqual([400, 'inApp']);
    // emailAvailable is the deployment's: another value is refused, not silently kept as it was.
    const claimed = await t.http
      .put('/api/v1/me/notification-preferences')
      .set(lmt.auth)
      .send({ email: false, emailAvailable: false });
    expect([claimed.status, claimed.body.errors?.[0]?.field]).toEqual([400, 'emailAvailable']);
    expect((await t.http.get('/api/v1/me/notification-preferences').set(lmt.auth).expect(200)).body.email).toBe(true);
  });

  it('tells the sender a rescheduled appointment moved (not removed)', async () => {
    const patient = await createPatient(t.http, lmt);
    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    referral = await actOk(t.http, lmt, referral, 'send');
    referral = await actOk(t.http, pt, referral, 'accept');
    referral = await actOk(t.http, pt, referral, 'schedule', { appointmentAt: inDays(2) });
    referral = await actOk(t.http, pt, referral, 'reschedule', { appointmentAt: inDays(4) });
    const moved = await eventually(
      async () =>
        (await inbox(lmt)).items.find(
          (n: { referralId: string; type: string }) => n.referralId === referral.id && n.type === 'rescheduled',
        ) as { title: string; body: string } | undefined,
      'rescheduled notification',
    );
    expect(moved).toMatchObject({ title: 'Appointment moved', body: 'Capitol Physio moved the appointment for your referral.' });
    expect(
      (await inbox(lmt)).items.filter(
        (n: { referralId: string; type: string }) => n.referralId === referral.id && n.type === 'unscheduled',
      ),
    ).toHaveLength(0);
  });

  it("dates each in-app notification when its event happened, so the inbox reads in the event's order", async () => {
    const patient = await createPatient(t.http, lmt);
    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    referral = await actOk(t.http, lmt, referral, 'send');
    referral = await actOk(t.http, pt, referral, 'accept');
    referral = await actOk(t.http, pt, referral, 'schedule', { appointmentAt: inDays(2) });
    referral = await actOk(t.http, pt, referral, 'reschedule', { appointmentAt: inDays(4) });
    referral = await actOk(t.http, pt, referral, 'unschedule', { reason: 'patient_cancelled' });
    type Item = { referralId: string; type: string; createdAt: string };
    const told = await eventually(async () => {
      const items = ((await inbox(lmt)).items as Item[]).filter((n) => n.referralId === referral.id);
      return items.length === 4 ? items : undefined;
    }, 'four notifications to the sender');
    expect(told.map((n) => n.type)).toEqual(['unscheduled', 'rescheduled', 'scheduled', 'accepted']);
    const { body: events } = await t.http.get(`/api/v1/referrals/${referral.id}/events`).set(lmt.auth).expect(200);
    const occurred = new Map((events.items as { type: string; occurredAt: string }[]).map((e) => [e.type, e.occurredAt]));
    for (const n of told) expect(n.createdAt).toBe(occurred.get(n.type));
  });

  it('retries a failing webhook with backoff and delivers it once', async () => {
    hookFailures = 3;
    const patient = await createPatient(t.http, lmt);
    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    referral = await actOk(t.http, lmt, referral, 'send');
    await eventually(() => hooks.requests.find((r) => r.body.includes(referral.id) && r.status === 204), 'webhook delivered');
    const attempts = hooks.requests.filter((r) => r.body.includes(referral.id));
    expect(attempts.map((r) => r.status)).toEqual([500, 500, 500, 204]);
    // Every attempt dates the event when it happened, as the timeline does (not when it was fanned out or retried).
    const { body: events } = await t.http.get(`/api/v1/referrals/${referral.id}/events`).set(lmt.auth).expect(200);
    const sent = (events.items as { type: string; occurredAt: string }[]).find((e) => e.type === 'sent');
    expect(new Set(attempts.map((r) => (JSON.parse(r.body) as { occurredAt: string }).occurredAt))).toEqual(
      new Set([sent?.occurredAt]),
    );
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT status, attempts FROM notification_deliveries WHERE referral_id = $1 AND channel = 'webhook'`,
        [referral.id],
      );
      expect(rows).toEqual([{ status: 'delivered', attempts: 4 }]);
    } finally {
      await db.end();
    }
  });

  it('sends a delivery once when a second job for it runs while the first is still sending', async () => {
    let release!: () => void;
    hookGate = new Promise((resolve) => (release = resolve));
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const patient = await createPatient(t.http, lmt);
      let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
      referral = await actOk(t.http, lmt, referral, 'send');
      const delivery = await eventually(async () => {
        const { rows } = await db.query(
          `SELECT id FROM notification_deliveries WHERE referral_id = $1 AND channel = 'webhook' AND attempts = 1`,
          [referral.id],
        );
        return rows[0] as { id: string } | undefined;
      }, 'the webhook send under way');

      // What the reconciler does when the queue lost a job a worker is still running: add it again.
      const deliveries = t.worker!.get<Queue<DeliverJob>>(getQueueToken(DELIVERIES_QUEUE));
      const second = await deliveries.add(JOB.deliver, { deliveryId: delivery.id }, { jobId: `${delivery.id}-second` });
      await eventually(() => second.isDelayed(), 'the second job waiting for the first one');

      release();
      hookGate = undefined;
      const sent = () => hooks.requests.filter((r) => r.body.includes(referral.id));
      await eventually(() => sent().length > 0, 'the webhook answered');
      await second.promote();
      await eventually(
        async () => (await deliveries.getJob(second.id!))?.returnvalue === 'skipped',
        'the second job finding it delivered',
      );
      expect(sent()).toHaveLength(1);
      const { rows } = await db.query(`SELECT status, attempts, sending_until FROM notification_deliveries WHERE id = $1`, [
        delivery.id,
      ]);
      expect(rows).toEqual([{ status: 'delivered', attempts: 1, sending_until: null }]);
    } finally {
      hookGate = undefined;
      await db.end();
    }
  });

  /** Sends a referral to the PT and waits for the clinic's webhook delivery of it: its delivery row. */
  async function sendWithWebhookDelivered(db: Client): Promise<{ id: string }> {
    const patient = await createPatient(t.http, lmt);
    const referral = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    return eventually(async () => {
      const { rows } = await db.query(
        `SELECT id FROM notification_deliveries WHERE referral_id = $1 AND channel = 'webhook' AND status = 'delivered'`,
        [referral.id],
      );
      return rows[0] as { id: string } | undefined;
    }, 'the webhook delivered');
  }

  /** A second webhook of the PT's clinic, on the sink, for `referral.sent`. */
  const addSentWebhook = () =>
    t.http
      .post('/api/v1/webhooks')
      .set(physio.admin.auth)
      .send({ url: hooks.url, eventTypes: ['referral.sent'] })
      .expect(201);

  it('sends a delivery a restored backup shows as pending, though the queue still holds its finished job', async () => {
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const delivery = await sendWithWebhookDelivered(db);
      // A backup taken while it was being sent, restored (docs/operations.md) on the same Redis: pending in
      // PostgreSQL, its job (same id) completed in the queue, which keeps completed jobs a day.
      await db.query(
        `UPDATE notification_deliveries SET status = 'pending', delivered_at = NULL, sending_until = NULL,
                created_at = created_at - interval '1 minute'
          WHERE id = $1`,
        [delivery.id],
      );
      await eventually(
        async () =>
          (await db.query(`SELECT status FROM notification_deliveries WHERE id = $1`, [delivery.id])).rows[0]?.status ===
          'delivered',
        'the reconciler sending it again',
      );
      expect(hooks.requests.filter((r) => r.headers['x-referloop-delivery'] === delivery.id)).toHaveLength(2);
    } finally {
      await db.end();
    }
  });

  it('records a delivery with nothing left to send as skipped, not delivered and not failed', async () => {
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const sent = await sendWithWebhookDelivered(db);

      // A second webhook of the clinic, deleted before its delivery of the same event was sent.
      const gone = await addSentWebhook();
      await t.http.delete(`/api/v1/webhooks/${gone.body.id}`).set(physio.admin.auth).expect(204);
      const { rows } = await db.query(
        `INSERT INTO notification_deliveries (outbox_event_id, channel, recipient_key, webhook_id, clinic_id, notification_type, referral_id)
         SELECT outbox_event_id, 'webhook', 'webhook:' || $2::text, $2::uuid, clinic_id, notification_type, referral_id
           FROM notification_deliveries WHERE id = $1
         RETURNING id`,
        [sent.id, gone.body.id],
      );
      const deliveryId = (rows[0] as { id: string }).id;
      const deliveries = t.worker!.get<Queue<DeliverJob>>(getQueueToken(DELIVERIES_QUEUE));
      const job = await deliveries.add(JOB.deliver, { deliveryId }, { jobId: deliveryId });
      await eventually(async () => (await deliveries.getJob(job.id!))?.returnvalue === 'skipped', 'the delivery skipped');

      const after = await db.query(
        `SELECT status, delivered_at, failed_at, last_error FROM notification_deliveries WHERE id = $1`,
        [deliveryId],
      );
      expect(after.rows).toEqual([{ status: 'skipped', delivered_at: null, failed_at: null, last_error: 'webhook deleted' }]);
      expect(hooks.requests.filter((r) => r.headers['x-referloop-delivery'] === deliveryId)).toEqual([]);
      expect((await failedDeliveries()).map((d) => d.id)).not.toContain(deliveryId);
    } finally {
      await db.end();
    }
  });

  it("takes a deleted webhook's failed deliveries off the failed list: there is nothing left to retry them to", async () => {
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const sent = await sendWithWebhookDelivered(db);
      // A second webhook of the clinic whose delivery of the same event failed for good.
      const doomed = await addSentWebhook();
      const { rows } = await db.query(
        `INSERT INTO notification_deliveries (outbox_event_id, channel, recipient_key, webhook_id, clinic_id, notification_type,
                                              referral_id, status, attempts, failed_at, last_error)
         SELECT outbox_event_id, 'webhook', 'webhook:' || $2::text, $2::uuid, clinic_id, notification_type, referral_id,
                'failed', 8, now(), 'HTTP 500'
           FROM notification_deliveries WHERE id = $1
         RETURNING id`,
        [sent.id, doomed.body.id],
      );
      const failedId = (rows[0] as { id: string }).id;
      const listed = async () => (await failedDeliveries()).map((d) => d.id);
      expect(await listed()).toContain(failedId);

      await t.http.delete(`/api/v1/webhooks/${doomed.body.id}`).set(physio.admin.auth).expect(204);
      expect(await listed()).not.toContain(failedId);
      const retry = await t.http.post(`/api/v1/admin/notifications/${failedId}/retry`).set(physio.admin.auth);
      expectProblem(retry, 409, 'invalid_transition');
      expect(retry.body.currentStatus).toBe('skipped');
      const after = await db.query(`SELECT status, last_error FROM notification_deliveries WHERE id = $1`, [failedId]);
      expect(after.rows).toEqual([{ status: 'skipped', last_error: 'webhook deleted' }]);
    } finally {
      await db.end();
    }
  });

  it('puts a delivery that keeps failing in the failed list, and an admin retry delivers it', async () => {
    hookFailures = 1_000;
    const patient = await createPatient(t.http, lmt);
    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    referral = await actOk(t.http, lmt, referral, 'send');
    const failed = await eventually(
      async () => (await failedDeliveries()).find((d) => d.referralId === referral.id),
      'failed delivery',
      30_000,
    );
    expect(failed).toMatchObject({ channel: 'webhook', attempts: 8, notificationType: 'referral.sent' });
    expect(hooks.requests.filter((r) => r.body.includes(referral.id))).toHaveLength(8);

    // Another clinic's admin cannot see or retry it.
    expect((await failedDeliveries(massage)).find((d) => d.id === failed.id)).toBeUndefined();
    await t.http.post(`/api/v1/admin/notifications/${failed.id}/retry`).set(massage.admin.auth).expect(404);
    await t.http.post(`/api/v1/admin/notifications/${failed.id}/retry`).set(pt.auth).expect(403);

    hookFailures = 0;
    await t.http.post(`/api/v1/admin/notifications/${failed.id}/retry`).set(physio.admin.auth).expect(202);
    await eventually(() => hooks.requests.find((r) => r.body.includes(referral.id) && r.status === 204), 'retried webhook');
    expect((await failedDeliveries()).find((d) => d.id === failed.id)).toBeUndefined();
  });

  it('fails an email the receiving server refuses for good (550) at once, not after every retry', async () => {
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(physio.admin.auth)
      .send(practitionerPayload('physical_therapist', new Date(), { email: uniqueEmail('bounce-') }))
      .expect(201);
    const failed = await eventually(
      async () => (await failedDeliveries()).find((d) => d.lastError?.includes('550')),
      'the refused invitation in the failed list',
    );
    // One try: a 550 is not retried (the retry delay here is 20 ms: eight tries would have been made by now).
    expect(failed.attempts).toBe(1);
    expect(smtp.refused.filter((address) => address === invited.body.email)).toHaveLength(1);
  });

  it('sends no referral email to a practitioner deactivated since it failed: the admin retry ends it as skipped', async () => {
    const leaver = await addPractitioner(t.http, physio, 'physical_therapist', { email: uniqueEmail('bounce-') });
    const patient = await createPatient(t.http, lmt);
    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, leaver.id));
    referral = await actOk(t.http, lmt, referral, 'send');
    const failed = await eventually(
      async () => (await failedDeliveries()).find((d) => d.referralId === referral.id && d.channel === 'email'),
      'the refused referral email in the failed list',
    );
    const tries = smtp.refused.filter((address) => address === leaver.email).length;
    await t.http.post(`/api/v1/practitioners/${leaver.id}/deactivate`).set(physio.admin.auth).expect(200);

    await t.http.post(`/api/v1/admin/notifications/${failed.id}/retry`).set(physio.admin.auth).expect(202);
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const ended = await eventually(async () => {
        const { rows } = await db.query(`SELECT status, last_error FROM notification_deliveries WHERE id = $1`, [failed.id]);
        return rows[0]?.status === 'skipped' ? rows[0] : undefined;
      }, 'the retried delivery skipped');
      expect(ended).toEqual({ status: 'skipped', last_error: 'user deactivated' });
    } finally {
      await db.end();
    }
    // Not even tried: the address of someone who left the clinic hears nothing more from it.
    expect(smtp.refused.filter((address) => address === leaver.email)).toHaveLength(tries);
    expect((await failedDeliveries()).map((d) => d.id)).not.toContain(failed.id);
  });

  it('sends no referral email to a practitioner who turned email off since it was fanned out: the retry ends it as skipped', async () => {
    const optedOut = await addPractitioner(t.http, physio, 'physical_therapist', { email: uniqueEmail('bounce-') });
    const patient = await createPatient(t.http, lmt);
    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, optedOut.id));
    referral = await actOk(t.http, lmt, referral, 'send');
    const failed = await eventually(
      async () => (await failedDeliveries()).find((d) => d.referralId === referral.id && d.channel === 'email'),
      'the refused referral email in the failed list',
    );
    const tries = smtp.refused.filter((address) => address === optedOut.email).length;
    // Emailed while it was on; off now: a retry (the worker's backoff or an admin's) sends nothing more.
    await t.http.put('/api/v1/me/notification-preferences').set(optedOut.auth).send({ email: false }).expect(200);

    await t.http.post(`/api/v1/admin/notifications/${failed.id}/retry`).set(physio.admin.auth).expect(202);
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const ended = await eventually(async () => {
        const { rows } = await db.query(`SELECT status, last_error FROM notification_deliveries WHERE id = $1`, [failed.id]);
        return rows[0]?.status !== 'pending' ? rows[0] : undefined;
      }, 'the retried delivery ended');
      expect(ended).toEqual({ status: 'skipped', last_error: 'email turned off' });
    } finally {
      await db.end();
    }
    expect(smtp.refused.filter((address) => address === optedOut.email)).toHaveLength(tries);
    // In-app is always delivered.
    expect(
      (await inbox(optedOut)).items.filter(
        (n: { referralId: string; type: string }) => n.referralId === referral.id && n.type === 'sent',
      ),
    ).toHaveLength(1);
  });

  it('sends no reminder email that arrives after the referral was decided: the retry of "waiting for your decision" ends it as skipped', async () => {
    const slow = await addPractitioner(t.http, physio, 'physical_therapist', { email: uniqueEmail('bounce-') });
    const patient = await createPatient(t.http, lmt);
    let referral = await createReferral(t.http, lmt, injuryReferralBody(patient.id, slow.id));
    referral = await actOk(t.http, lmt, referral, 'send');
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      // Its response clock passed the reminder's threshold (this app's timers are the 48 h defaults;
      // only this referral is moved back, so the run reminds no other test's referral).
      await db.query(`UPDATE referrals SET sent_at = sent_at - make_interval(secs => $2) WHERE id = $1`, [
        referral.id,
        t.config.timers.reminderAfterMs / 1000 + 60,
      ]);
      await t.app.get(ReferralTimers).run(new Date(), t.config.timers);
      // The mail server refused it: it waits in the failed list, and the referral is accepted meanwhile.
      const failed = await eventually(
        async () =>
          (await failedDeliveries()).find(
            (d) => d.referralId === referral.id && d.channel === 'email' && d.notificationType === 'referral.reminder_sent',
          ),
        'the refused reminder email in the failed list',
      );
      const tries = smtp.refused.filter((address) => address === slow.email).length;
      await actOk(t.http, slow, referral, 'accept');

      await t.http.post(`/api/v1/admin/notifications/${failed.id}/retry`).set(physio.admin.auth).expect(202);
      const ended = await eventually(async () => {
        const { rows: now } = await db.query(`SELECT status, last_error FROM notification_deliveries WHERE id = $1`, [failed.id]);
        return now[0]?.status !== 'pending' ? now[0] : undefined;
      }, 'the retried reminder ended');
      expect(ended).toEqual({ status: 'skipped', last_error: 'no longer due' });
      expect(smtp.refused.filter((address) => address === slow.email)).toHaveLength(tries);
      // The in-app reminder (true when it was written) stays in the inbox.
      expect(
        (await inbox(slow)).items.filter(
          (n: { referralId: string; type: string }) => n.referralId === referral.id && n.type === 'reminder_sent',
        ),
      ).toHaveLength(1);
    } finally {
      await db.end();
    }
  });

  it('emails an invitation with a link that lets the practitioner set a password', async () => {
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(physio.admin.auth)
      .send(practitionerPayload('physical_therapist', new Date()))
      .expect(201);
    const email: string = invited.body.email;
    const mail = await eventually(() => smtp.messages.find((m: CapturedEmail) => m.to.includes(email)), 'invitation email');
    expect(mail.raw).toContain('Capitol Physio invited you to ReferLoop');
    // The body is quoted-printable: undo soft line breaks and =XX escapes.
    const body = mail.raw
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    const link = /https?:\/\/\S+accept-invitation#token=([A-Za-z0-9_%-]+)/.exec(body);
    expect(link).not.toBeNull();
    const token = decodeURIComponent(link![1]);
    // The same link the 201 handed to the admin; it works once.
    expect(token).toBe(invited.body.invitation.token);
    const accepted = await t.http.post('/api/v1/auth/accept-invitation').send({ token, password: PASSWORD }).expect(200);
    expect(accepted.body.user).toMatchObject({ id: invited.body.id, email });
    await t.http.post('/api/v1/auth/accept-invitation').send({ token, password: PASSWORD }).expect(400);
  });

  it('never emails an invitation link it cannot rebuild (made under another key); the link handed out still works', async () => {
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(physio.admin.auth)
      .send(practitionerPayload('physical_therapist', new Date()))
      .expect(201);
    const email: string = invited.body.email;
    await eventually(() => smtp.messages.find((m: CapturedEmail) => m.to.includes(email)), 'invitation email');
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      // An invitation from before invitation keys were derived: its token was an HMAC under the JWT secret itself.
      const [invitation] = (await db.query(`SELECT id FROM invitations WHERE user_id = $1`, [invited.body.id])).rows;
      const oldToken = createHmac('sha256', t.config.jwt.secret)
        .update(`referloop-invitation:${invitation.id}`)
        .digest('base64url');
      await db.query(`UPDATE invitations SET token_hash = $2 WHERE id = $1`, [invitation.id, sha256Hex(oldToken)]);
      const [delivery] = (
        await db.query(
          `UPDATE notification_deliveries SET status = 'pending', delivered_at = NULL, attempts = 0
            WHERE user_id = $1 AND notification_type = 'invitation.created' RETURNING id`,
          [invited.body.id],
        )
      ).rows;
      const deliveries = t.worker!.get<Queue<DeliverJob>>(getQueueToken(DELIVERIES_QUEUE));
      await deliveries.add(JOB.deliver, { deliveryId: delivery.id }, { jobId: `${delivery.id}-old-key`, attempts: 1 });
      const failed = await eventually(async () => {
        const { rows } = await db.query(`SELECT status, last_error FROM notification_deliveries WHERE id = $1`, [delivery.id]);
        return rows[0]?.status === 'failed' && rows[0];
      }, 'the delivery failing');
      expect(failed.last_error).toMatch(/cannot be rebuilt/);
      expect(smtp.messages.filter((m: CapturedEmail) => m.to.includes(email))).toHaveLength(1);
      // Accepting hashes the token it is given: a link handed out before still works.
      await t.http.post('/api/v1/auth/accept-invitation').send({ token: oldToken, password: PASSWORD }).expect(200);
    } finally {
      await db.end();
    }
  });

  it('refuses webhooks to private addresses and plain http that are not allow-listed, and only admins manage webhooks', async () => {
    const refusals: Record<string, string> = {
      'https://10.1.2.3/hook': 'webhook target is not allowed',
      'https://[::ffff:10.1.2.3]/hook': 'webhook target is not allowed',
      'https://[64:ff9b::a01:203]/hook': 'webhook target is not allowed',
      'https://[2002:a01:203::1]/hook': 'webhook target is not allowed',
      'https://[::a01:203]/hook': 'webhook target is not allowed',
      'http://10.1.2.3/hook': 'webhook URL must use https',
      'http://hooks.example.com/hook': 'webhook URL must use https',
      // Credentials would be shown again by every listing: deliveries are verified by their signature.
      'https://user:pass@hooks.example.com/hook':
        'webhook URL must not carry a user name or password: verify deliveries by their signature instead',
      'https://token@hooks.example.com/hook':
        'webhook URL must not carry a user name or password: verify deliveries by their signature instead',
      // An IPv6 zone id: a URL to the request's shape check, none to the WHATWG parser (was a 500).
      'https://[fe80::1%25eth0]/hook': 'must be an http(s) URL',
    };
    for (const [url, message] of Object.entries(refusals)) {
      const res = await t.http
        .post('/api/v1/webhooks')
        .set(physio.admin.auth)
        .send({ url, eventTypes: ['*'] });
      expectProblem(res, 400, 'validation_failed');
      expect({ url, errors: res.body.errors }).toEqual({ url, errors: [{ field: 'url', message }] });
      // Generic: the answer names no address.
      expect(JSON.stringify(res.body)).not.toMatch(/10\.1\.2\.3|a01:203/);
    }
    // A host that does not resolve (yet: `.invalid` never does) is taken; its deliveries are checked when they connect.
    const notDeployed = await t.http
      .post('/api/v1/webhooks')
      .set(physio.admin.auth)
      .send({ url: 'https://hooks.not-deployed-yet.invalid/hook', eventTypes: ['referral.sent'] })
      .expect(201);
    await t.http.delete(`/api/v1/webhooks/${notDeployed.body.id}`).set(physio.admin.auth).expect(204);
    await t.http
      .post('/api/v1/webhooks')
      .set(pt.auth)
      .send({ url: hooks.url, eventTypes: ['*'] })
      .expect(403);
    const list = await t.http.get('/api/v1/webhooks').set(physio.admin.auth).expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].secret).toBeUndefined();
    await t.http.delete(`/api/v1/webhooks/${list.body.items[0].id}`).set(massage.admin.auth).expect(404);
  });

  it('makes one webhook of a double click: repeats with the same URL and events answer the first, with its secret', async () => {
    const clinic = await registerClinic(t.http, { name: 'Double Click Physio' });
    const create = (eventTypes: string[]) =>
      t.http.post('/api/v1/webhooks').set(clinic.admin.auth).send({ url: hooks.url, eventTypes });
    const answers = await Promise.all(Array.from({ length: 5 }, () => create(['referral.sent', 'referral.accepted'])));
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    expect(new Set(answers.map((r) => r.body.secret)).size).toBe(1);
    expect((await create(['referral.accepted', 'referral.sent']).expect(201)).body.id).toBe(answers[0].body.id);
    // The same address written otherwise (the scheme in capitals, the host's IPv4 in hexadecimal) is the same webhook.
    const written = hooks.url.replace('http://127.0.0.1', 'HTTP://0x7f000001');
    const same = await t.http
      .post('/api/v1/webhooks')
      .set(clinic.admin.auth)
      .send({ url: written, eventTypes: ['referral.sent', 'referral.accepted'] })
      .expect(201);
    expect(same.body).toMatchObject({ id: answers[0].body.id, url: hooks.url });
    // Other events are another subscription.
    expect((await create(['referral.declined']).expect(201)).body.id).not.toBe(answers[0].body.id);
    expect((await t.http.get('/api/v1/webhooks').set(clinic.admin.auth).expect(200)).body.items).toHaveLength(2);
    // "*" names every event: next to other types it would deliver those twice.
    const mixed = await create(['*', 'referral.sent']);
    expectProblem(mixed, 400, 'validation_failed');
    expect(mixed.body.errors).toEqual([{ field: 'eventTypes', message: expect.stringContaining('alone') }]);
  });
  it('holds at most 25 webhooks per clinic (422 webhook_limit_reached), also when created at once; a repeat of one it has is that one, and deleting one frees its place', async () => {
    const clinic = await registerClinic(t.http, { name: 'Many Hooks Physio' });
    const create = (i: number) =>
      t.http
        .post('/api/v1/webhooks')
        .set(clinic.admin.auth)
        .send({ url: `${hooks.url}/${i}`, eventTypes: ['referral.sent'] });
    for (let i = 0; i < 20; i++) await create(i).expect(201);
    // Ten at once for the last five places: five get one.
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => create(20 + i)));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 201, 422, 422, 422, 422, 422]);
    for (const refused of racing.filter((r) => r.status === 422)) expectProblem(refused, 422, 'webhook_limit_reached');
    const listed = (await t.http.get('/api/v1/webhooks').set(clinic.admin.auth).expect(200)).body.items as { id: string }[];
    expect(listed).toHaveLength(25);
    // A repeat of one it has is that one, not a 26th.
    expect((await create(0).expect(201)).body.id).toBe(listed[0].id);
    await t.http.delete(`/api/v1/webhooks/${listed[0].id}`).set(clinic.admin.auth).expect(204);
    await create(99).expect(201);
    expectProblem(await create(100), 422, 'webhook_limit_reached');

    // The clinic's audit log says who added and removed which webhook (not its URL): once each, repeats aside.
    const audited = (
      await t.http
        .get('/api/v1/admin/audit-events')
        .query({ resourceType: 'webhook', limit: 100 })
        .set(clinic.admin.auth)
        .expect(200)
    ).body.items as { action: string; resourceId: string; actorId: string; details: unknown }[];
    expect(audited.filter((e) => e.action === 'webhook.create')).toHaveLength(26);
    expect(audited.filter((e) => e.action === 'webhook.delete').map((e) => e.resourceId)).toEqual([listed[0].id]);
    expect(audited.every((e) => e.actorId === clinic.admin.id)).toBe(true);
    expect(JSON.stringify(audited)).not.toContain(hooks.url);
  });
  describe('an email says what the in-app notification says, to whoever was told', () => {
    /** The email to `user` about `referralId` whose subject is `subject`. */
    const emailTo = (user: SignedInUser, referralId: string, subject: string) =>
      eventually(
        () =>
          smtp.messages.find(
            (m) => m.to.includes(user.email) && m.raw.includes(referralId) && decoded(m).includes(`Subject: ${subject}\r\n`),
          ),
        `the email "${subject}" to ${user.email}`,
      );
    const notified = (user: SignedInUser, referralId: string, type: string) =>
      eventually(
        async () =>
          (await inbox(user, { limit: '100' })).items.find(
            (n: { referralId: string; type: string }) => n.referralId === referralId && n.type === type,
          ) as { title: string; body: string } | undefined,
        `the ${type} notification`,
      );

    /**
     * A referral sent from a new massage clinic's LMT to a new PT clinic's PT (clinic names the texts quote), with
     * Quinn, a second PT of that clinic, to hand it to. A `canary` names the patient and the reason, so a test can
     * check no text carries them.
     */
    const sentBetweenNewClinics = async (canary = `Qwzx${Date.now()}`) => {
      const massageClinic = await registerClinic(t.http, { name: 'Maya Massage' });
      const bend = await registerClinic(t.http, { name: 'Bend PT Clinic' });
      const maya = await addPractitioner(t.http, massageClinic, 'massage_therapist');
      const paula = await addPractitioner(t.http, bend, 'physical_therapist');
      const quinn = await addPractitioner(t.http, bend, 'physical_therapist');
      const patient = await createPatient(t.http, maya, { firstName: canary, lastName: `${canary}son` });
      const draft = await createReferral(t.http, maya, injuryReferralBody(patient.id, paula.id, { reason: `${canary} reason` }));
      return { massageClinic, bend, maya, paula, quinn, canary, sent: await actOk(t.http, maya, draft, 'send') };
    };

    it('tells the sender whose referral the recipient clinic handed to a colleague that it is with another practitioner, not that it was reassigned to them', async () => {
      const { bend, maya, paula, quinn, canary, sent } = await sentBetweenNewClinics();
      const referral = await actOk(t.http, paula, sent, 'accept');
      await t.http.post(`/api/v1/practitioners/${paula.id}/deactivate`).set(bend.admin.auth).expect(200);
      await t.http
        .post(`/api/v1/referrals/${referral.id}/reassign`)
        .set(bend.admin.auth)
        .send({ practitionerId: quinn.id, version: referral.version })
        .expect(200);

      const inApp = await notified(maya, referral.id, 'reassigned');
      expect(inApp).toMatchObject({
        title: 'Referral handed to a colleague',
        body: 'Your referral to Bend PT Clinic is now with another practitioner there.',
      });
      const toMaya = decoded(await emailTo(maya, referral.id, 'Referral handed to a colleague'));
      expect(toMaya).toContain('Your referral to Bend PT Clinic is now with another practitioner there.');
      // The new practitioner is the one it was reassigned to.
      const toQuinn = decoded(await emailTo(quinn, referral.id, 'Referral reassigned to you'));
      expect(toQuinn).toContain('A referral from Maya Massage was reassigned to you.');
      const mayaEmails = smtp.messages.filter((m) => m.to.includes(maya.email) && m.raw.includes(referral.id));
      for (const mail of mayaEmails) expect(decoded(mail)).not.toContain('reassigned to you');
      for (const mail of [toMaya, toQuinn]) expect(mail).not.toContain(canary);
      // Paula left: nobody is told in her place that it was taken from her (the fan-out wrote every row at once).
      const db = new Client({ connectionString: t.database.url });
      await db.connect();
      try {
        const { rows } = await db.query<{ user_id: string }>(
          `SELECT d.user_id FROM notification_deliveries d JOIN outbox_events o ON o.id = d.outbox_event_id
            WHERE o.referral_id = $1 AND o.type = 'referral.reassigned' AND d.channel = 'in_app'`,
          [referral.id],
        );
        expect(rows.map((r) => r.user_id).sort()).toEqual([maya.id, quinn.id].sort());
      } finally {
        await db.end();
      }
    });

    it('tells the active PT a referral was handed away from, in-app and by email, with nothing left to open', async () => {
      const { bend, maya, paula, quinn, canary, sent } = await sentBetweenNewClinics();
      const referral = await actOk(t.http, paula, sent, 'accept');
      await t.http
        .post(`/api/v1/referrals/${referral.id}/reassign`)
        .set(bend.admin.auth)
        .send({ practitionerId: quinn.id, version: referral.version })
        .expect(200);

      const text =
        'An admin of your clinic handed the referral from Maya Massage over to another practitioner of your clinic. You no longer see it.';
      const notice = await eventually(
        async () =>
          (await inbox(paula)).items.find((n: { type: string; referralId: string | null }) => n.type === 'reassigned') as
            { referralId: string | null; title: string; body: string } | undefined,
        "Paula's notice",
      );
      // Paula can no longer open the referral: her notice names none.
      expect(notice).toMatchObject({ referralId: null, title: 'Referral handed to a colleague', body: text });
      await t.http.get(`/api/v1/referrals/${referral.id}`).set(paula.auth).expect(404);
      const mail = await eventually(
        () =>
          smtp.messages.find(
            (m) => m.to.includes(paula.email) && decoded(m).includes('Subject: Referral handed to a colleague\r\n'),
          ),
        "Paula's email",
      );
      expect(decoded(mail)).toContain(text);
      expect(decoded(mail)).toContain('Bend PT Clinic');
      expect(mail.raw).not.toContain(referral.id);
      expect(mail.raw).not.toContain(canary);
      // Quinn and Maya are told as always; the admin who did it is not.
      expect(await notified(quinn, referral.id, 'reassigned')).toMatchObject({ title: 'Referral reassigned to you' });
      expect(await notified(maya, referral.id, 'reassigned')).toMatchObject({ title: 'Referral handed to a colleague' });
      expect((await inbox(bend.admin)).items.filter((n: { type: string }) => n.type === 'reassigned')).toEqual([]);
    });

    it('tells a PT what the front desk did for them (accepted, booked their patient), in-app and by email, and the sender as always, not the admin', async () => {
      const { bend, maya, paula, sent } = await sentBetweenNewClinics();
      const accepted = await actOk(t.http, bend.admin, sent, 'accept');
      const booked = await actOk(t.http, bend.admin, accepted, 'schedule', {
        appointmentAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
      });

      expect(await notified(paula, booked.id, 'accepted')).toMatchObject({
        title: 'Referral accepted',
        body: 'An admin of your clinic accepted the referral from Maya Massage.',
      });
      expect(await notified(paula, booked.id, 'scheduled')).toMatchObject({
        title: 'Appointment scheduled',
        body: 'An admin of your clinic scheduled an appointment for the referral from Maya Massage.',
      });
      // Headed by the PT's own clinic, as every email to the recipient side.
      const email = decoded(await emailTo(paula, booked.id, 'Appointment scheduled'));
      expect(email).toContain('An admin of your clinic scheduled an appointment for the referral from Maya Massage.');
      expect(email).toContain('Bend PT Clinic');
      // The sender hears what they always hear, from the clinic.
      expect(await notified(maya, booked.id, 'scheduled')).toMatchObject({
        body: 'Bend PT Clinic scheduled an appointment for your referral.',
      });
      // The admin is not told of what they did.
      const adminInbox = await inbox(bend.admin, { limit: '100' });
      expect(adminInbox.items.filter((n: { referralId: string }) => n.referralId === booked.id)).toEqual([]);
      // A PT who acts themselves is not told of it.
      const moved = await actOk(t.http, paula, booked, 'reschedule', {
        appointmentAt: new Date(Date.now() + 4 * 86_400_000).toISOString(),
      });
      await notified(maya, moved.id, 'rescheduled');
      const paulasOwn = (await inbox(paula, { limit: '100' })).items.filter(
        (n: { referralId: string; type: string }) => n.referralId === moved.id && n.type === 'rescheduled',
      );
      expect(paulasOwn).toEqual([]);
    });

    it('does not tell an admin who sent a referral within their clinic that they booked it for its recipient; the recipient hears an admin did', async () => {
      const clinic = await registerClinic(t.http, { name: 'Both Hands Clinic' });
      const lena = await addPractitioner(t.http, clinic, 'massage_therapist');
      const pete = await addPractitioner(t.http, clinic, 'physical_therapist');
      // The LMT also runs the front desk: an admin of the clinic, so she may act for the PT too.
      await t.http.patch(`/api/v1/practitioners/${lena.id}`).set(clinic.admin.auth).send({ isAdmin: true }).expect(200);
      const patient = await createPatient(t.http, lena);
      const sent = await actOk(t.http, lena, await createReferral(t.http, lena, injuryReferralBody(patient.id, pete.id)), 'send');
      const booked = await actOk(t.http, lena, await actOk(t.http, lena, sent, 'accept'), 'schedule', {
        appointmentAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
      });

      expect(await notified(pete, booked.id, 'scheduled')).toMatchObject({
        body: 'An admin of your clinic scheduled an appointment for the referral from Both Hands Clinic.',
      });
      const lenasOwn = (await inbox(lena, { limit: '100' })).items.filter(
        (n: { referralId: string; type: string }) => n.referralId === booked.id && n.type !== 'sent',
      );
      expect(lenasOwn).toEqual([]);
    });

    it('tells the sender when an admin of their clinic cancelled their referral for them, in-app and by email, and not the admin', async () => {
      const { massageClinic, maya, paula, sent } = await sentBetweenNewClinics();
      const referral = await actOk(t.http, massageClinic.admin, sent, 'cancel', { reason: 'The client moved away' });

      expect(await notified(maya, referral.id, 'cancelled')).toMatchObject({
        title: 'Referral cancelled',
        body: 'An admin of your clinic cancelled your referral to Bend PT Clinic.',
      });
      expect(decoded(await emailTo(maya, referral.id, 'Referral cancelled'))).toContain(
        'An admin of your clinic cancelled your referral to Bend PT Clinic.',
      );
      expect(await notified(paula, referral.id, 'cancelled')).toMatchObject({
        body: 'Maya Massage cancelled a referral sent to you.',
      });
      // The admin who cancelled it is not told of their own action.
      const adminInbox = await inbox(massageClinic.admin, { limit: '100' });
      expect(adminInbox.items.filter((n: { referralId: string }) => n.referralId === referral.id)).toEqual([]);
    });

    it('does not tell a sender who cancelled their referral themselves that it was cancelled', async () => {
      const { maya, paula, sent } = await sentBetweenNewClinics();
      const referral = await actOk(t.http, maya, sent, 'cancel', { reason: 'The client moved away' });
      // The recipient's notice is written in the same fan-out as any notice to the sender would be.
      await notified(paula, referral.id, 'cancelled');
      const mine = (await inbox(maya, { limit: '100' })).items.filter(
        (n: { referralId: string }) => n.referralId === referral.id,
      );
      expect(mine).toEqual([]);
    });

    it("tells a deactivated sender's stand-in admin by email what it tells them in-app: progress reported, and a message from the other clinic", async () => {
      const canary = `Vbnm${Date.now()}`;
      const massageClinic = await registerClinic(t.http, { name: 'Maya Massage' });
      const bend = await registerClinic(t.http, { name: 'Bend PT Clinic' });
      const maya = await addPractitioner(t.http, massageClinic, 'massage_therapist');
      const paula = await addPractitioner(t.http, bend, 'physical_therapist');
      const bob = bend.admin;
      const patient = await createPatient(t.http, paula, { firstName: canary, lastName: `${canary}son` });
      let referral = await createReferral(t.http, paula, maintenanceReferralBody(patient.id, maya.id));
      referral = await actOk(t.http, paula, referral, 'send');
      referral = await actOk(t.http, maya, referral, 'accept');
      await t.http.post(`/api/v1/practitioners/${paula.id}/deactivate`).set(bob.auth).expect(200);
      referral = await actOk(t.http, maya, referral, 'report-progress', {
        progress: { sessionsCompleted: 2, painLevel: 3, tolerance: 'well', note: `${canary} feels lighter` },
      });
      await t.http
        .post(`/api/v1/referrals/${referral.id}/messages`)
        .set(maya.auth)
        .send({ body: `${canary} any news?` })
        .expect(201);

      expect(await notified(bob, referral.id, 'progress_reported')).toMatchObject({
        title: 'Progress reported',
        body: 'Maya Massage reported progress on your referral.',
      });
      expect(await notified(bob, referral.id, 'message')).toMatchObject({
        body: 'New message on a referral from Maya Massage.',
      });
      const progress = decoded(await emailTo(bob, referral.id, 'Progress reported'));
      expect(progress).toContain('Maya Massage reported progress on your referral.');
      const message = decoded(await emailTo(bob, referral.id, 'New message on a referral'));
      expect(message).toContain('New message on a referral from Maya Massage.');
      expect(message).not.toContain('from Bend PT Clinic');
      for (const mail of [progress, message]) expect(mail).not.toContain(canary);
    });
  });
});
