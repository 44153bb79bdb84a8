import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { OUTBOX_RELAY_LOCK, PgListener } from '@referloop/database';
import { producerQueue } from '@referloop/queue';
import type { Queue } from 'bullmq';
import { DataSource, type EntityManager } from 'typeorm';
import { type DeliverJob, DELIVERIES_QUEUE, deliverJob, NOTIFICATION_QUEUES } from '../notification-queue';
import type { EventRow } from '../store/dispatch.store';
import { OutboxStore } from '../store/outbox.store';
import { NotificationDispatcher } from './notification-dispatcher';

/** Outbox events per transaction: a fan-out costs the same handful of statements whatever its size. */
const BATCH = 200;
/** Fan-out transactions at a time while working off a backlog: one leaves PostgreSQL a core idle. */
const BACKLOG_TRANSACTIONS = 2;
/** How long an event whose fan-out failed on its own is held back at first, and at most. */
const HOLD_FIRST_MS = 60_000;
const HOLD_MAX_MS = 3_600_000;
/** While rows keep coming, the next look is this much later: rows gather into one batch and one transaction. */
export const BUSY_POLL_MS = 25;
/** After a busy spell, one more look this much later, for rows committed while no NOTIFY was sent. */
const SETTLE_MS = 50;
/** How long taking OUTBOX_RELAY_LOCK may wait for writers looking at it. */
const LOCK_WAIT = '200ms';
/**
 * How long a batch waits for its delivery jobs to be added. A producer that never reached Redis
 * (the worker started during an outage) does not fail its commands: it waits for the first
 * connection, and the fan-out behind it would wait too. Past this the reconciler adds them.
 */
const ENQUEUE_WAIT_MS = 2_000;

/**
 * Publishes committed outbox events: in one transaction it claims a batch of unpublished rows
 * (FOR UPDATE SKIP LOCKED, so several workers share the work), marks them published and fans them
 * out (NotificationDispatcher: in-app notifications and delivery rows), so an event is published
 * exactly when its deliveries exist, and a crash or error rolls both back. After the commit it adds
 * the email/webhook delivery jobs (job id = delivery id); any the queue did not get (Redis down, a
 * crash right after the commit) the reconciler adds once they have waited its grace period.
 *
 * Waking: an idle relay holds OUTBOX_RELAY_LOCK on its listening connection and is woken at once
 * by LISTEN/NOTIFY (the outbox trigger notifies only while someone holds that lock: PostgreSQL
 * serialises the commits of notifying transactions). Once a drain finds rows the relay is busy: it
 * lets the lock go, so writers stop notifying, and looks again every BUSY_POLL_MS, rows gathering
 * into one batch and one job. When a look finds nothing it takes the lock again, looks once more
 * SETTLE_MS later (rows committed meanwhile sent no NOTIFY) and waits. The periodic sweep is the
 * safety net for anything else.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private readonly listener: PgListener;
  private sweepTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private again = false;
  private stopped = false;
  /**
   * Events whose fan-out failed on their own, left unpublished and kept out of batches until their
   * delay (doubling per failure, up to HOLD_MAX_MS) has passed. In memory: a restart tries them at once.
   */
  private readonly held = new Map<string, { until: number; delayMs: number }>();
  /** Whether this relay holds OUTBOX_RELAY_LOCK (on `listener`): it is idle and wants a NOTIFY. */
  private waiting = false;

  /**
   * The relay's own producer of deliver jobs: it fails at once while Redis is down (the worker's
   * shared connection would wait for it), so fan-out and in-app notifications go on meanwhile and the
   * reconciler adds the jobs once Redis is back.
   */
  private readonly deliveries: Queue<DeliverJob>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: OutboxStore,
    private readonly dispatcher: NotificationDispatcher,
  ) {
    this.deliveries = producerQueue<DeliverJob>(config, DELIVERIES_QUEUE, {
      defaultJobOptions: NOTIFICATION_QUEUES.find((queue) => queue.name === DELIVERIES_QUEUE)?.defaultJobOptions,
    });
    this.deliveries.on('error', () => undefined);
    this.listener = new PgListener({
      databaseUrl: config.databaseUrl,
      channel: 'outbox_events',
      applicationName: 'referloop-outbox-listener',
      setup: [`SET lock_timeout = '${LOCK_WAIT}'`],
      onNotification: () => this.wake(),
      // Anything committed while we were not listening (the lock went with the old connection).
      onListening: () => {
        this.waiting = false;
        this.wake();
      },
      onLost: () => {
        this.waiting = false;
      },
    });
  }

  onApplicationBootstrap(): void {
    this.listener.start();
    this.sweepTimer = setInterval(() => this.wake(), this.config.notifications.relaySweepMs);
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.pollTimer);
    await this.draining;
    await this.listener.stop();
    await this.deliveries.close();
  }

  /** Runs a drain now, or once more right after the current one. */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.draining = this.drain()
      .then((published) => this.afterDrain(published))
      .catch((error: unknown) => this.logger.warn('outbox publish failed, will retry', error))
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /**
   * Publishes until no unpublished row is left (or another worker holds them). A full first batch
   * means a backlog: then BACKLOG_TRANSACTIONS batches at a time (SKIP LOCKED keeps them apart).
   */
  async drain(): Promise<number> {
    const first = await this.publishBatch();
    if (first < BATCH || this.stopped) return first;
    const loops = await Promise.all(Array.from({ length: BACKLOG_TRANSACTIONS }, () => this.publishUntilShort()));
    return loops.reduce((total, published) => total + published, first);
  }

  private async publishUntilShort(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.publishBatch();
      total += published;
      if (published < BATCH || this.stopped) return total;
    }
  }

  /** Busy (rows found): let the lock go and poll. Idle again: take it and look once more a little later. */
  private async afterDrain(published: number): Promise<void> {
    if (published > 0) {
      await this.waitForNotify(false);
      this.lookAgainIn(BUSY_POLL_MS);
    } else if (!this.waiting && (await this.waitForNotify(true))) {
      this.lookAgainIn(SETTLE_MS);
    }
  }

  private lookAgainIn(ms: number): void {
    if (this.stopped || this.pollTimer) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.wake();
    }, ms);
  }

  /**
   * Takes (idle) or releases (busy) OUTBOX_RELAY_LOCK; answers whether it changed. Taking it waits
   * at most LOCK_WAIT for writers looking at it; another idle relay holding it is fine (every
   * listener hears the NOTIFY), this one tries again after its next drain.
   */
  private async waitForNotify(idle: boolean): Promise<boolean> {
    const client = this.listener.client;
    if (idle === this.waiting || !client) return false;
    try {
      if (idle) {
        await client.query(`SELECT pg_advisory_lock(${OUTBOX_RELAY_LOCK})`);
        this.waiting = true;
      } else {
        this.waiting = false;
        await client.query(`SELECT pg_advisory_unlock(${OUTBOX_RELAY_LOCK})`);
      }
      return true;
    } catch {
      // lock_timeout (another idle relay holds it) or the connection is going (the lock goes with it).
      return false;
    }
  }

  /**
   * One batch. If its fan-out fails, one event may be at fault (a poison event would otherwise stop
   * every batch behind it): its events are tried one by one, and any that fails alone while others
   * go through is held back (see `held`). When they all fail, the database is the likely cause:
   * nothing is held, the next drain tries again.
   */
  private async publishBatch(): Promise<number> {
    let claimed: string[] = [];
    try {
      return await this.publish(
        (tx) => this.store.claim(tx, { batch: BATCH, skip: this.heldIds() }),
        (ids) => (claimed = ids),
      );
    } catch (error) {
      if (claimed.length < 2) throw error;
      const failed = new Map<string, unknown>();
      let published = 0;
      for (const id of claimed) {
        try {
          published += await this.publish((tx) => this.store.claim(tx, { one: id }));
        } catch (single) {
          failed.set(id, single);
        }
      }
      if (failed.size === claimed.length) throw error;
      for (const [id, single] of failed) this.hold(id, single);
      return published;
    }
  }

  /** Claims and fans out in one transaction, then adds the delivery jobs of what it wrote. */
  private async publish(claim: (tx: EntityManager) => Promise<EventRow[]>, claimed?: (ids: string[]) => void): Promise<number> {
    const { ids, pending } = await this.db.transaction(async (tx) => {
      const events = await claim(tx);
      const ids = events.map((event) => event.id);
      claimed?.(ids);
      return { ids, pending: events.length > 0 ? await this.dispatcher.dispatch(tx, events) : [] };
    });
    if (this.held.size > 0) for (const id of ids) this.held.delete(id);
    if (pending.length > 0) {
      const added = this.deliveries.addBulk(pending.map((delivery) => deliverJob(delivery, this.config.notifications)));
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'gave up'>((resolve) => (timer = setTimeout(() => resolve('gave up'), ENQUEUE_WAIT_MS)));
      try {
        if ((await Promise.race([added, gaveUp])) === 'gave up') {
          // Still trying in the background; the same job ids make a later add by the reconciler harmless.
          added.catch(() => undefined);
          this.logger.warn(
            `${pending.length} delivery job(s) not enqueued yet (the queue store does not answer); the reconciler will add them`,
          );
        }
      } catch (error) {
        this.logger.warn(`${pending.length} delivery job(s) not enqueued; the reconciler will add them`, error);
      } finally {
        clearTimeout(timer);
      }
    }
    return ids.length;
  }

  /** Ids of held events still waiting out their delay (the others are tried again). */
  private heldIds(): string[] {
    const now = Date.now();
    return [...this.held].filter(([, hold]) => hold.until > now).map(([id]) => id);
  }

  private hold(id: string, error: unknown): void {
    const delayMs = Math.min((this.held.get(id)?.delayMs ?? HOLD_FIRST_MS / 2) * 2, HOLD_MAX_MS);
    this.held.set(id, { until: Date.now() + delayMs, delayMs });
    // The error goes to the logger as an error: its serializer redacts the values a message may quote.
    this.logger.error(`outbox event ${id}: fan-out failed on its own; held back, next try in ${delayMs / 1000} s`, error);
  }
}
