import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import type { Queue } from 'bullmq';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { type DispatchJob, dispatchJobs, NOTIFICATIONS_QUEUE } from '../notification-queue';

const BATCH = 200;
const RECONNECT_DELAY_MS = 1_000;

/**
 * Publishes committed outbox events to the queue. Claims unpublished rows with
 * FOR UPDATE SKIP LOCKED (so several workers share the work), adds dispatch jobs whose ids come
 * from the rows' ids (a re-publish after a crash is deduplicated), and marks them published in
 * the same transaction: if the queue is unreachable the transaction rolls back and the rows wait.
 * LISTEN/NOTIFY wakes it at once; a periodic sweep is the safety net.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private listener?: Client;
  private sweepTimer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(NOTIFICATIONS_QUEUE) private readonly queue: Queue<DispatchJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.listen();
    this.sweepTimer = setInterval(() => this.wake(), this.config.notifications.relaySweepMs);
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    await this.draining;
    await this.listener?.end().catch(() => undefined);
  }

  /** Runs a drain now, or once more right after the current one. */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn('outbox publish failed, will retry', error))
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Publishes until no unpublished row is left (or another worker holds them). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.publishBatch();
      total += published;
      if (published < BATCH || this.stopped) return total;
    }
  }

  private publishBatch(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows: { id: string }[] = await tx.query(
        `SELECT id FROM outbox_events WHERE published_at IS NULL ORDER BY created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return 0;
      await this.queue.addBulk(dispatchJobs(rows.map((row) => row.id)));
      await tx.query(`UPDATE outbox_events SET published_at = now() WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'referloop-outbox-listener' });
    const retry = () => {
      if (this.listener !== client || this.stopped) return;
      this.listener = undefined;
      setTimeout(() => void this.listen(), RECONNECT_DELAY_MS).unref();
    };
    client.on('error', (error) => {
      this.logger.warn('outbox listener lost its connection', error);
      retry();
    });
    client.on('end', retry);
    client.on('notification', () => this.wake());
    this.listener = client;
    try {
      await client.connect();
      await client.query('LISTEN outbox_events');
      // Anything committed while we were not listening.
      this.wake();
    } catch (error) {
      this.logger.warn('outbox listener could not connect', error);
      await client.end().catch(() => undefined);
      retry();
    }
  }
}
