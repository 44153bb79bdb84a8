import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import { eventually, startWebhookSink } from './support/sinks';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

/**
 * A receiver's view of webhooks: a real delivery from the running worker is checked with the recipe
 * of docs/webhooks.md, written out here on its own (not the project's verifyWebhook), so a change of
 * the signed format (e.g. `<t><body>` instead of `<t>.<body>`) fails here even if signer and
 * verifier inside the project change together.
 */
const RECIPE = [
  "const crypto = require('node:crypto');",
  '',
  'const TOLERANCE_SECONDS = 300;',
  '',
  '/** True when `signatureHeader` signs `rawBody` (a Buffer or string, exactly as received) with `secret`, recently. */',
  'function verifyReferLoopWebhook(secret, rawBody, signatureHeader, nowSeconds = Math.floor(Date.now() / 1000)) {',
  "  const match = /^t=(\\d+),v1=([0-9a-f]{64})$/.exec(signatureHeader ?? '');",
  '  if (!match) return false;',
  '  if (Math.abs(nowSeconds - Number(match[1])) > TOLERANCE_SECONDS) return false;',
  "  const expected = crypto.createHmac('sha256', secret).update(`${match[1]}.`).update(rawBody).digest();",
  "  return crypto.timingSafeEqual(expected, Buffer.from(match[2], 'hex'));",
  '}',
].join('\n');

type Verify = (secret: string, rawBody: string | Buffer, signatureHeader: string | undefined, nowSeconds?: number) => boolean;
const verifyReferLoopWebhook = runInNewContext(`${RECIPE}\nverifyReferLoopWebhook`, { require, Buffer }) as Verify;

// Computed once with the recipe and pasted: the docs quote the same vector.
const VECTOR = {
  secret: 'whsec_5f2b9c1e7a4d4e0f8c3b6a1d9e2f7c40',
  timestamp: 1764374400,
  body: '{"id":"0b6f3c2e-8d1a-4f5b-9c7e-2a4d6f8b1c3e","event":"referral.sent","occurredAt":"2025-11-29T00:00:00.000Z","clinicId":"7d9e1f2a-3b4c-4d5e-8f6a-1b2c3d4e5f60","referralId":"c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f","data":{"fromStatus":"draft","toStatus":"sent","urgent":true},"url":"https://referloop.example/referrals/c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"}',
  signature: '619a67a130a8560fb884f8b684319ed9ea7bde92fd2422ba80f041e06403d0ac',
};

describe('the webhook receiver guide (docs/webhooks.md)', () => {
  const docs = readFileSync(join(__dirname, '..', 'docs', 'webhooks.md'), 'utf8');

  it('quotes exactly the recipe this test runs, and the test vector', () => {
    const block = /<!-- webhook-recipe:start -->\s*```js\n([\s\S]*?)\n```\s*<!-- webhook-recipe:end -->/.exec(docs);
    expect(block?.[1]).toBe(RECIPE);
    for (const value of [VECTOR.secret, String(VECTOR.timestamp), VECTOR.signature, VECTOR.body]) expect(docs).toContain(value);
  });

  it('accepts the test vector, and refuses it with another separator, body, secret or an old timestamp', () => {
    const header = `t=${VECTOR.timestamp},v1=${VECTOR.signature}`;
    expect(verifyReferLoopWebhook(VECTOR.secret, VECTOR.body, header, VECTOR.timestamp)).toBe(true);
    expect(verifyReferLoopWebhook(VECTOR.secret, Buffer.from(VECTOR.body), header, VECTOR.timestamp + 300)).toBe(true);
    // The same vector signed without the dot (`<t><body>`).
    const noDot = `t=${VECTOR.timestamp},v1=d6b42c99236eb0a49e3bf8ef886b3faab6d560eea2250de2c3e6e393a489ae81`;
    expect(verifyReferLoopWebhook(VECTOR.secret, VECTOR.body, noDot, VECTOR.timestamp)).toBe(false);
    expect(verifyReferLoopWebhook(VECTOR.secret, `${VECTOR.body} `, header, VECTOR.timestamp)).toBe(false);
    expect(verifyReferLoopWebhook('whsec_other', VECTOR.body, header, VECTOR.timestamp)).toBe(false);
    expect(verifyReferLoopWebhook(VECTOR.secret, VECTOR.body, header, VECTOR.timestamp + 301)).toBe(false);
    expect(verifyReferLoopWebhook(VECTOR.secret, VECTOR.body, undefined, VECTOR.timestamp)).toBe(false);
  });

  describe('a real delivery', () => {
    let t: TestApp;
    let hooks: Awaited<ReturnType<typeof startWebhookSink>>;
    let massage: TestClinic;
    let physio: TestClinic;
    let lmt: SignedInUser;
    let pt: SignedInUser;
    let secret: string;

    beforeAll(async () => {
      hooks = await startWebhookSink(() => 204);
      t = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', OUTBOX_SWEEP_INTERVAL: '500ms' }, { worker: true });
      massage = await registerClinic(t.http, { name: 'Harbour Massage' });
      physio = await registerClinic(t.http, { name: 'Northside Physio' });
      lmt = await addPractitioner(t.http, massage, 'massage_therapist');
      pt = await addPractitioner(t.http, physio, 'physical_therapist');
      const hook = await t.http
        .post('/api/v1/webhooks')
        .set(physio.admin.auth)
        .send({ url: hooks.url, eventTypes: ['referral.sent'] })
        .expect(201);
      secret = hook.body.secret;
    });
    afterAll(async () => {
      await t?.close();
      await hooks?.close();
    });

    it('is signed as the guide says, and names its delivery id in the header and the body alike', async () => {
      const patient = await createPatient(t.http, lmt);
      const referral = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');

      const request = await eventually(() => hooks.requests.find((r) => r.body.includes(referral.id)), 'webhook');
      const signature = String(request.headers['x-referloop-signature']);
      expect(verifyReferLoopWebhook(secret, request.body, signature)).toBe(true);
      expect(verifyReferLoopWebhook(secret, Buffer.from(request.body, 'utf8'), signature)).toBe(true);
      expect(verifyReferLoopWebhook(secret, JSON.stringify({ ...JSON.parse(request.body), extra: 1 }), signature)).toBe(false);

      const body = JSON.parse(request.body);
      expect(body).toMatchObject({ event: 'referral.sent', clinicId: physio.clinicId, referralId: referral.id });
      expect(request.headers['x-referloop-delivery']).toBe(body.id);
      expect(signature.startsWith(`t=${String(request.headers['x-referloop-timestamp'])},v1=`)).toBe(true);
    });
  });
});
