import { startTestApp, type TestApp } from './support/test-app';

describe('queue dashboard (bull-board)', () => {
  describe('with an operator credential', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ QUEUE_DASHBOARD_USER: 'ops', QUEUE_DASHBOARD_PASSWORD: 'operator-secret-1' });
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
      expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual([
        'notification-deliveries',
        'notifications',
        'referral-timers',
      ]);
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
