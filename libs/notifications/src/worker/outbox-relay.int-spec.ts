import { Clock } from '@referloop/common';
import type { AppConfig } from '@referloop/config';
import { createDataSource, OUTBOX_RELAY_LOCK } from '@referloop/database';
import { createTestDatabase, deleteQueueKeys, TEST_REDIS_URL, type TestDatabase, testConfig } from '@referloop/testing';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { EmailChannel } from '../channels/email.channel';
import { DispatchStore } from '../store/dispatch.store';
import { OutboxStore } from '../store/outbox.store';
import { NotificationDispatcher } from './notification-dispatcher';
import { OutboxRelay } from './outbox-relay';

// PostgreSQL serialises the commits of notifying transactions, so writers NOTIFY only while an
// idle relay holds OUTBOX_RELAY_LOCK; a busy relay polls. The sweep is set to a minute here, so
// only a NOTIFY or the relay's own polling can publish anything within these tests' waits.

describe('OutboxRelay wake-ups', () => {
  let db: TestDatabase;
  let source: DataSource;
  let listener: Client;
  let notified = 0;
  // One config for the file: each testConfig() draws a new queue prefix, whose keys the relay's
  // producer queue writes and afterAll must find.
  let config: AppConfig;

  const insert = (n = 1) =>
    source.query(`INSERT INTO outbox_events (type, payload) SELECT 'test.event', '{}'::jsonb FROM generate_series(1, $1)`, [n]);
  const unpublished = async () =>
    Number((await source.query<{ n: string }[]>(`SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL`))[0].n);
  // Advisory locks are per database; other test files run relays on their own databases meanwhile.
  const relayHoldsLock = async () =>
    (
      await source.query<{ n: string }[]>(
        `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'referloop-outbox-listener'
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND (l.classid::bigint << 32 | l.objid::bigint) = $1::bigint`,
        [OUTBOX_RELAY_LOCK],
      )
    )[0].n === '1';
  async function until(check: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await delay(20);
    }
  }
  const newDispatcher = () => new NotificationDispatcher(new EmailChannel(config), new DispatchStore(), new Clock());
  const startRelay = (dispatcher = newDispatcher()) => {
    const relay = new OutboxRelay(source, config, new OutboxStore(), dispatcher);
    relay.onApplicationBootstrap();
    return relay;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url, { OUTBOX_SWEEP_INTERVAL: '60s' });
    source = createDataSource({ url: db.url, poolSize: 4, applicationName: 'outbox-relay-check' });
    await source.initialize();
    listener = new Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', () => notified++);
    await listener.query('LISTEN outbox_events');
  });
  afterAll(async () => {
    if (config) await deleteQueueKeys(TEST_REDIS_URL, config.queuePrefix);
    await listener?.end();
    await source?.destroy();
    await db?.drop();
  });

  it('with no relay running, writers send no NOTIFY', async () => {
    notified = 0;
    await insert(3);
    await insert(2);
    await delay(200);
    expect(notified).toBe(0);
  });

  it('an idle relay holds the lock and is woken at once by a commit', async () => {
    const relay = startRelay();
    try {
      // Start-up drains the five rows above, then the relay settles and waits.
      await until(async () => (await unpublished()) === 0 && (await relayHoldsLock()));
      notified = 0;
      await insert();
      await until(async () => (await unpublished()) === 0, 1_000);
      expect(notified).toBe(1);
    } finally {
      await relay.onApplicationShutdown();
    }
  });

  it('a busy relay lets the lock go and polls: a stream of commits publishes with few NOTIFYs and few transactions, then it waits again', async () => {
    const dispatcher = newDispatcher();
    const fanOuts: number[] = [];
    const dispatch = dispatcher.dispatch.bind(dispatcher);
    dispatcher.dispatch = (tx, events) => {
      fanOuts.push(events.length);
      return dispatch(tx, events);
    };
    const relay = startRelay(dispatcher);
    try {
      await until(() => relayHoldsLock());
      notified = 0;
      const commits = 200;
      for (let i = 0; i < commits; i++) {
        await insert();
        if (i % 20 === 0) await delay(5);
      }
      await until(async () => (await unpublished()) === 0);
      expect(notified).toBeGreaterThan(0);
      expect(notified).toBeLessThan(commits / 4);
      await until(() => relayHoldsLock());
      // Every event fanned out once, in batches: not one transaction per commit.
      expect(fanOuts.reduce((n, size) => n + size, 0)).toBe(commits);
      expect(fanOuts.length).toBeLessThan(commits / 2);
    } finally {
      await relay.onApplicationShutdown();
    }
  });

  it('a fan-out that fails rolls its claim back: the events stay unpublished and go out with the next drain', async () => {
    const dispatcher = newDispatcher();
    const dispatch = dispatcher.dispatch.bind(dispatcher);
    let failures = 1;
    let attempts = 0;
    dispatcher.dispatch = (tx, events) => {
      attempts++;
      if (failures-- > 0) return Promise.reject(new Error('fan-out failed'));
      return dispatch(tx, events);
    };
    const relay = startRelay(dispatcher);
    jest.spyOn(relay['logger'], 'warn').mockImplementation(() => undefined);
    try {
      await until(() => relayHoldsLock());
      // Past the look the relay takes 50 ms after taking the lock: the insert is then found by its
      // NOTIFY alone, not also by that look (whose failed claim the NOTIFY would retry at once).
      await delay(200);
      await insert();
      await until(() => Promise.resolve(attempts === 1));
      await delay(100);
      expect(await unpublished()).toBe(1);
      // The next commit's NOTIFY wakes the relay: both go out.
      await insert();
      await until(async () => (await unpublished()) === 0);
      expect(attempts).toBe(2);
    } finally {
      await relay.onApplicationShutdown();
    }
  });

  it('an event whose fan-out fails on its own is held back; the rest of its batch, and later ones, go out', async () => {
    const [{ id: poison }] = await source.query<{ id: string }[]>(
      `INSERT INTO outbox_events (type, payload) VALUES ('test.poison', '{}'::jsonb) RETURNING id`,
    );
    await insert(4);
    const dispatcher = newDispatcher();
    const dispatch = dispatcher.dispatch.bind(dispatcher);
    let poisonTries = 0;
    dispatcher.dispatch = (tx, events) => {
      if (events.some((e) => e.id === poison)) {
        poisonTries++;
        return Promise.reject(new Error('cannot fan this one out'));
      }
      return dispatch(tx, events);
    };
    const relay = startRelay(dispatcher);
    const held = jest.spyOn(relay['logger'], 'error').mockImplementation(() => undefined);
    try {
      // The batch of five fails, then each goes alone: four are published, the poison one is held.
      await until(async () => (await unpublished()) === 1);
      expect(held).toHaveBeenCalledTimes(1);
      expect(String(held.mock.calls[0][0])).toContain(poison);
      const tries = poisonTries;
      expect(tries).toBe(2); // in the batch, then alone
      await insert(3);
      await until(async () => (await unpublished()) === 1);
      await delay(100);
      // Later batches leave it out while it is held: they go out in one try each.
      expect(poisonTries).toBe(tries);
      const [{ published_at }] = await source.query<{ published_at: Date | null }[]>(
        `SELECT published_at FROM outbox_events WHERE id = $1`,
        [poison],
      );
      expect(published_at).toBeNull();
    } finally {
      await relay.onApplicationShutdown();
      await source.query(`DELETE FROM outbox_events WHERE id = $1`, [poison]);
    }
  });
});
