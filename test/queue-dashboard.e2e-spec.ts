import { randomUUID } from 'node:crypto';
import { bullConnection } from '@referloop/queue';
import { Queue } from 'bullmq';
import type request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

describe('operator pages: queue dashboard (bull-board) and readiness details', () => {
  describe('with an operator credential', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ OPERATOR_USER: 'ops', OPERATOR_PASSWORD: 'operator-secret-1' });
    });
    afterAll(() => t.close());

    it('asks for the credential and refuses a wrong one', async () => {
      const none = await t.http.get('/admin/queues').expect(401);
      expect(none.headers['www-authenticate']).toMatch(/^Basic/);
      await t.http.get('/admin/queues').auth('ops', 'wrong-password').expect(401);
      await t.http.get('/admin/queues/api/queues').auth('intruder', 'operator-secret-1').expect(401);
    });

    it('shows the notification queues to the operator', async () => {
      await t.http
        .get('/admin/queues')
        .auth('ops', 'operator-secret-1')
        .expect(200)
        .expect('content-type', /text\/html/);
      const api = await t.http.get('/admin/queues/api/queues').auth('ops', 'operator-secret-1').expect(200);
      expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['notification-deliveries', 'referral-timers']);
    });
    it('is read-only: retry, clean, promote, pause, empty, add and job changes through its API are refused (405)', async () => {
      const operator = (req: request.Test) => req.auth('ops', 'operator-secret-1');
      const queue = 'notification-deliveries';
      // A queue handle of the test's own (the API process holds none of the deliveries queue).
      const deliveries = new Queue(queue, {
        connection: bullConnection(t.config, 'producer') as never,
        prefix: t.config.queuePrefix,
      });
      const job = await deliveries.add('deliver', { deliveryId: randomUUID() }, { delay: 3_600_000 });
      const base = `/admin/queues/api/queues/${queue}`;
      const calls = [
        ['put', `${base}/retry/failed`],
        ['put', `${base}/clean/delayed`],
        ['put', `${base}/promote`],
        ['put', `${base}/pause`],
        ['put', `${base}/empty`],
        ['put', `${base}/obliterate`],
        ['post', `${base}/add`],
        ['put', `${base}/${job.id}/retry`],
        ['put', `${base}/${job.id}/clean`],
        ['put', `${base}/${job.id}/promote`],
      ] as const;
      const answered: string[] = [];
      for (const [method, path] of calls)
        answered.push(`${method} ${path} ${(await operator(t.http[method](path).send({}))).status}`);
      expect(answered).toEqual(calls.map(([method, path]) => `${method} ${path} 405`));
      // Pausing every queue at once skips read-only ones.
      await operator(t.http.put('/admin/queues/api/queues/pause'));
      // The job is still there, still delayed, and the queue is not paused.
      expect(await job.getState()).toBe('delayed');
      expect(await deliveries.isPaused()).toBe(false);
      const shown = await operator(t.http.get('/admin/queues/api/queues')).expect(200);
      expect(shown.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);
      await job.remove();
      await deliveries.close();
    });

    it('details readiness for the operator: each check, the queue backend and job counts', async () => {
      const res = await t.http.get('/health/ready').auth('ops', 'operator-secret-1').expect(200);
      expect(res.body).toMatchObject({
        status: 'up',
        checks: {
          database: { status: 'up' },
          queue: { status: 'up', backend: 'redis', jobs: { 'notification-deliveries': expect.any(Object) } },
        },
      });
      expect((await t.http.get('/health/ready').expect(200)).body).toEqual({ status: 'up' });
    });
  });

  it('is off without a credential', async () => {
    const t = await startTestApp();
    try {
      // Without the dashboard the path is just a client-side route of the web app (or 404 when
      // the web app is not built): never queue data.
      const res = await t.http.get('/admin/queues/api/queues');
      expect([200, 404]).toContain(res.status);
      expect(res.headers['content-type']).not.toMatch(/application\/json/);
      expect(res.text).not.toContain('notification-deliveries');
    } finally {
      await t.close();
    }
  });
});
