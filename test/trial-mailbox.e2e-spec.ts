import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD, practitionerPayload } from '@referloop/testing';
import { Client } from 'pg';
import type { TrialMail } from '@referloop/notifications';
import { EmailChannel } from '../libs/notifications/src/channels/email.channel';
import { eventually } from './support/sinks';
import { expectProblem, registerClinic, startTestApp, type TestApp } from './support/test-app';

// The trial mailbox: on the embedded default without SMTP_URL, emails land in DATA_DIR and are shown
// to the machine itself only. These apps run on the test PostgreSQL and Redis with the embedded
// default's mailbox switched on in their config (no environment variable can do that in server mode).

/** The mailbox's JSON, asked as if from `remoteAddress` (Fastify's inject sets the TCP peer). */
async function mailboxFrom(t: TestApp, remoteAddress: string, path = '/api/v1/trial/mailbox', headers = {}) {
  const res = await t.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: path, remoteAddress, headers });
  return { status: res.statusCode, headers: res.headers as Record<string, string>, body: res.json<Record<string, unknown>>() };
}

describe('trial mailbox (embedded default, no SMTP_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'referloop-mailbox-test-'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(
      { NOTIFICATION_RETRY_BASE_DELAY: '50ms', OUTBOX_SWEEP_INTERVAL: '500ms' },
      {
        worker: true,
        configure: (config) => ({ ...config, dataDir, notifications: { ...config.notifications, trialMailbox: true } }),
      },
    );
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds an invited practitioner’s invitation email once, with the link that lets them join', async () => {
    const clinic = await registerClinic(t.http);
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .send(practitionerPayload('physical_therapist', new Date()))
      .expect(201);
    const email: string = invited.body.email;

    const mail = await eventually(async () => {
      const res = await t.http.get('/api/v1/trial/mailbox').expect(200);
      return (res.body.items as TrialMail[]).find((m) => m.to === email);
    }, 'the invitation in the trial mailbox');
    expect(mail).toMatchObject({ to: email, subject: expect.stringContaining('invited you to ReferLoop') });
    expect(mail.text).toContain(invited.body.invitation.url);
    expect(mail.headers['Message-ID']).toBe(`<${mail.id}@referloop>`);

    // Delivered as any email is: the delivery row says so.
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const delivery = await db.query(`SELECT status, channel FROM notification_deliveries WHERE id = $1`, [mail.id]);
      expect(delivery.rows).toEqual([{ status: 'delivered', channel: 'email' }]);
    } finally {
      await db.end();
    }

    // The link works.
    const token = new URLSearchParams(new URL(/https?:\/\/\S+/.exec(mail.text)![0]).hash.slice(1)).get('token');
    await t.http.post('/api/v1/auth/accept-invitation').send({ token, password: PASSWORD }).expect(200);

    // A repeat of the same delivery id (a send a crash left in doubt) stores no second mail.
    const channel = t.worker!.get(EmailChannel);
    await channel.send({ to: email, subject: mail.subject, text: mail.text, messageId: mail.id });
    const all = (await t.http.get('/api/v1/trial/mailbox').expect(200)).body.items as TrialMail[];
    expect(all.filter((m) => m.to === email)).toHaveLength(1);
    expect(readdirSync(join(dataDir, 'trial-mailbox')).filter((name) => name.startsWith(mail.id))).toHaveLength(1);
  });

  it('shows the page, labelled as a trial mailbox, to the machine itself (IPv4 and IPv6 loopback)', async () => {
    const page = await t.http.get('/trial/mailbox').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<h1>Trial mailbox</h1>');
    // Its icon is the app's (served with the built app): a browser asks for none that is missing.
    const icon = /<link rel="icon" href="([^"]+)"/.exec(page.text)?.[1];
    expect(icon).toBe('/favicon.svg');
    await t.http.get(icon!).expect(200);
    expect(page.text).toContain('Emails are not sent in trial mode');
    expect((await mailboxFrom(t, '::1')).status).toBe(200);
    expect((await mailboxFrom(t, '::ffff:127.0.0.1')).status).toBe(200);
  });

  it('is an unknown route to any other peer, whatever X-Forwarded-For claims', async () => {
    for (const path of ['/api/v1/trial/mailbox', '/trial/mailbox']) {
      const res = await mailboxFrom(t, '203.0.113.7', path, { 'x-forwarded-for': '127.0.0.1' });
      expectProblem(res, 404, 'not_found');
    }
    expectProblem(await mailboxFrom(t, '10.0.0.5'), 404, 'not_found');
  });
});

describe('trial mailbox in server mode', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('does not exist: 404 for the JSON and the page, even from loopback', async () => {
    expect(t.config.notifications.trialMailbox).toBe(false);
    expectProblem(await t.http.get('/api/v1/trial/mailbox'), 404, 'not_found');
    expectProblem(await t.http.get('/trial/mailbox'), 404, 'not_found');
  });
});
