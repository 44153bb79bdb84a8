import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { DELIVERIES_QUEUE, TIMERS_QUEUE } from '../notification-queue';
import { DeliverProcessor, TimersProcessor } from './notification.processors';

/** While the queue store is down, one warning a minute, not one per reconnect attempt. */
const OUTAGE_WARNING_EVERY_MS = 60_000;

/**
 * Listens to the connection errors of the worker's queues and BullMQ workers. Without a listener
 * BullMQ prints each reconnect attempt's error, stack and all, to stderr, outside the JSON log.
 * They reconnect by themselves, and the outbox keeps every notification meanwhile.
 */
@Injectable()
export class QueueOutageLog implements OnApplicationBootstrap {
  private readonly logger = new Logger('QueueStore');
  private lastWarnedAt = 0;
  private readonly warn = (error: Error) => this.warnThrottled(error);

  /**
   * Only the queues and the module reference: so this is made as soon as the queues are, and
   * listens before their first connection attempt fails (while the database still connects, a wrong
   * Redis address had already printed its errors).
   */
  constructor(
    @InjectQueue(DELIVERIES_QUEUE) deliveries: Queue,
    @InjectQueue(TIMERS_QUEUE) timers: Queue,
    private readonly moduleRef: ModuleRef,
  ) {
    for (const queue of [deliveries, timers]) queue.on('error', this.warn);
  }

  /** The BullMQ workers exist once the processors are explored (module init). */
  onApplicationBootstrap(): void {
    for (const processor of [this.moduleRef.get(DeliverProcessor), this.moduleRef.get(TimersProcessor)]) {
      processor.worker.on('error', this.warn);
    }
  }

  private warnThrottled(error: Error): void {
    const now = Date.now();
    if (now - this.lastWarnedAt < OUTAGE_WARNING_EVERY_MS) return;
    this.lastWarnedAt = now;
    this.logger.warn(`the queue store is unreachable (${error.message}); retrying, notifications wait in the outbox`);
  }
}
