import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
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

  constructor(
    @InjectQueue(DELIVERIES_QUEUE) private readonly deliveries: Queue,
    @InjectQueue(TIMERS_QUEUE) private readonly timers: Queue,
    private readonly deliverProcessor: DeliverProcessor,
    private readonly timersProcessor: TimersProcessor,
  ) {}

  onApplicationBootstrap(): void {
    const warn = (error: Error) => this.warn(error);
    for (const queue of [this.deliveries, this.timers]) queue.on('error', warn);
    for (const processor of [this.deliverProcessor, this.timersProcessor]) processor.worker.on('error', warn);
  }

  private warn(error: Error): void {
    const now = Date.now();
    if (now - this.lastWarnedAt < OUTAGE_WARNING_EVERY_MS) return;
    this.lastWarnedAt = now;
    this.logger.warn(`the queue store is unreachable (${error.message}); retrying, notifications wait in the outbox`);
  }
}
