import { Clock } from '@referloop/common';
import { ReferralTimers } from '@referloop/referrals';
import { isoDateFrom, practitionerPayload } from '@referloop/testing';
import { Client } from 'pg';
import { actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import { eventually, startSmtpSink } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  signInAgain,
  startTestApp,
  type TestApp,
  type TestClinic,
  tokenClaims,
} from './support/test-app';

/**
 * Every timestamp that records when something happened comes from the injected Clock, never from
 * the database's now(): a fake Clock (minutes away from the wall clock) sees its own time in the
 * API's answers, the referral row, the audit rows and the notification rows the worker writes.
 */
describe('one clock for the timestamps the application records', () => {
  let t: TestApp;
  let sql: Client;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let massage: TestClinic;
  let physio: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let now: jest.SpyInstance<Date, []>;

  /** A fake time this many minutes after the wall clock (far enough that the database's now() cannot match it). */
  const fake = (minutes: number) => new Date(Math.floor(Date.now() / 1000) * 1000 + minutes * 60_000);
  const at = async (query: string, values: unknown[]): Promise<Date[]> =>
    (await sql.query<{ at: Date }>(query, values)).rows.map((row) => row.at);
  const auditTimes = (referralId: string, action: string) =>
    at(`SELECT occurred_at AS at FROM audit_events WHERE resource_id = $1 AND action = $2`, [referralId, action]);
  /** Sets the fake time and answers `user` signed in at it: its token is current by that Clock, as a client's would be. */
  const signedInAt = async (time: Date, user: SignedInUser) => {
    now.mockReturnValue(time);
    return signInAgain(t.http, user);
  };
  const updatedAt = async (referralId: string) =>
    (await at(`SELECT updated_at AS at FROM referrals WHERE id = $1`, [referralId]))[0];

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: smtp.url, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }, { worker: true });
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
  });
  afterEach(() => now?.mockRestore());
  afterAll(async () => {
    await sql.end();
    await t.close();
    await smtp.close();
  });

  async function sentReferral() {
    const patient = await createPatient(t.http, lmt);
    return actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
  }

  it('a referral read, action and message: updatedAt, the audit rows and the deliveries carry the Clock time', async () => {
    const sent = await sentReferral();
    // Every Clock of the API and of the worker (Clock.prototype: one spy for both processes' instances).
    now = jest.spyOn(Clock.prototype, 'now');

    // The recipient's first read acknowledges the referral.
    const readAt = fake(5);
    const ptThen = await signedInAt(readAt, pt);
    const read = await t.http.get(`/api/v1/referrals/${sent.id}`).set(ptThen.auth).expect(200);
    expect(read.body.status).toBe('received');
    expect(read.body.updatedAt).toBe(readAt.toISOString());
    expect(await auditTimes(sent.id, 'referral.read')).toEqual([readAt]);

    const acceptedAt = fake(10);
    const accepted = await actOk(t.http, await signedInAt(acceptedAt, pt), read.body, 'accept');
    expect(accepted.updatedAt).toBe(acceptedAt.toISOString());
    expect(await updatedAt(sent.id)).toEqual(acceptedAt);
    expect(await auditTimes(sent.id, 'referral.accept')).toEqual([acceptedAt]);

    // The worker delivers the accept's notifications (in-app at once, email when sent) at the Clock's time.
    const deliveries = () =>
      sql.query<{ channel: string; status: string; at: Date | null }>(
        `SELECT d.channel, d.status, d.delivered_at AS at FROM notification_deliveries d
           JOIN outbox_events o ON o.id = d.outbox_event_id JOIN referral_events e ON e.id = o.referral_event_id
          WHERE e.referral_id = $1 AND e.type = 'accepted'`,
        [sent.id],
      );
    const done = await eventually(async () => {
      const { rows } = await deliveries();
      return rows.some((r) => r.channel === 'email') && rows.every((r) => r.status !== 'pending') && rows;
    }, 'the accept delivered in-app and by email');
    expect(done.map((r) => r.status)).toEqual(done.map(() => 'delivered'));
    expect(done.map((r) => r.at)).toEqual(done.map(() => acceptedAt));
    expect(done.map((r) => r.channel)).toContain('in_app');

    const messagedAt = fake(15);
    const lmtThen = await signedInAt(messagedAt, lmt);
    await t.http.post(`/api/v1/referrals/${sent.id}/messages`).set(lmtThen.auth).send({ body: 'Thanks!' }).expect(201);
    expect(await updatedAt(sent.id)).toEqual(messagedAt);
    expect(await auditTimes(sent.id, 'referral.message')).toEqual([messagedAt]);
  });

  it("an access token lives by the Clock: issued at its time, refused once that Clock is past the token's expiry", async () => {
    now = jest.spyOn(Clock.prototype, 'now');
    const issuedAt = fake(24 * 60);
    const user = await signedInAt(issuedAt, pt);
    const claims = tokenClaims(user.accessToken);
    expect(claims.iat).toBe(issuedAt.getTime() / 1000);
    expect(claims.exp - claims.iat).toBe(t.config.jwt.accessTtlSeconds);

    now.mockReturnValue(new Date((claims.exp - 1) * 1000));
    await t.http.get('/api/v1/me').set(user.auth).expect(200);
    now.mockReturnValue(new Date(claims.exp * 1000));
    expectProblem(await t.http.get('/api/v1/me').set(user.auth), 401, 'unauthenticated');
  });

  it('a typed date is judged "not in the future" by the Clock\'s today: a birth date the wall clock has not reached yet is taken', async () => {
    now = jest.spyOn(Clock.prototype, 'now');
    const threeDaysOn = fake(3 * 24 * 60);
    const user = await signedInAt(threeDaysOn, lmt);
    const bornOn = isoDateFrom(threeDaysOn, -1);
    const patient = await createPatient(t.http, user, { dateOfBirth: bornOn });
    expect((await t.http.get(`/api/v1/patients/${patient.id}`).set(user.auth).expect(200)).body.dateOfBirth).toBe(bornOn);
    const refused = await t.http
      .post('/api/v1/patients')
      .set(user.auth)
      .send({
        firstName: 'Sam',
        lastName: 'Lee',
        dateOfBirth: isoDateFrom(threeDaysOn, 2),
        preferredContact: 'phone',
        phone: '+1 512 555 0100',
      });
    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'dateOfBirth' })]);
  });

  it('a timer run writes the time it decided on: an expired referral and its audit row', async () => {
    const sent = await sentReferral();
    const [sentAt] = await at(`SELECT sent_at AS at FROM referrals WHERE id = $1`, [sent.id]);
    const runAt = new Date(sentAt.getTime() + t.config.timers.expireAfterMs + 60_000);
    const run = await t.app.get(ReferralTimers).run(runAt, t.config.timers);
    expect(run.expired).toBeGreaterThanOrEqual(1);
    expect(await at(`SELECT updated_at AS at FROM referrals WHERE id = $1 AND status = 'expired'`, [sent.id])).toHaveLength(1);
    expect(await updatedAt(sent.id)).toEqual(runAt);
    expect(await auditTimes(sent.id, 'referral.expired')).toEqual([runAt]);
  });

  it('notifications: read_at, a preference change and a webhook deletion carry the Clock time', async () => {
    const sent = await sentReferral();
    const item = await eventually(async () => {
      const inbox = await t.http.get('/api/v1/notifications').set(pt.auth).expect(200);
      return (inbox.body.items as { id: string; referralId: string }[]).find((n) => n.referralId === sent.id);
    }, 'the recipient told of the new referral');
    now = jest.spyOn(Clock.prototype, 'now');
    const clicked = fake(20);
    const ptThen = await signedInAt(clicked, pt);
    const adminThen = await signInAgain(t.http, physio.admin);

    const read = await t.http.post(`/api/v1/notifications/${item.id}/read`).set(ptThen.auth).expect(200);
    expect(read.body.readAt).toBe(clicked.toISOString());

    await t.http.put('/api/v1/me/notification-preferences').set(ptThen.auth).send({ email: false }).expect(200);
    expect(await at(`SELECT updated_at AS at FROM notification_preferences WHERE user_id = $1`, [pt.id])).toEqual([clicked]);

    const hook = await t.http
      .post('/api/v1/webhooks')
      .set(adminThen.auth)
      .send({ url: 'http://127.0.0.1:9/hook', eventTypes: ['referral.cancelled'] })
      .expect(201);
    await t.http.delete(`/api/v1/webhooks/${hook.body.id}`).set(adminThen.auth).expect(204);
    expect(await at(`SELECT deleted_at AS at FROM webhooks WHERE id = $1`, [hook.body.id])).toEqual([clicked]);
  });

  it('the worker judges an invitation open by the Clock: one made 30 days back, open by its Clock, is emailed', async () => {
    now = jest.spyOn(Clock.prototype, 'now');
    // By the database's clock this invitation expired weeks ago; by the application's it is new.
    const monthAgo = fake(-30 * 24 * 60);
    now.mockReturnValue(monthAgo);
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(massage.admin.auth)
      .send(practitionerPayload('massage_therapist', monthAgo))
      .expect(201);
    const email: string = invited.body.email;
    await eventually(() => smtp.messages.find((m) => m.to.includes(email)), 'the invitation emailed');
    const [delivery] = (
      await sql.query<{ status: string; at: Date }>(
        `SELECT d.status, d.delivered_at AS at FROM notification_deliveries d
          WHERE d.notification_type = 'invitation.created' AND d.user_id = $1`,
        [invited.body.id],
      )
    ).rows;
    expect(delivery).toEqual({ status: 'delivered', at: monthAgo });
  });
});
