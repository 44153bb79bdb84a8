import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PinoNestLogger } from '@referloop/common';
import type { AppConfig } from '@referloop/config';
import type { Logger } from 'pino';
import { WorkerModule } from './worker.module';

/**
 * `logger` as the caller tags it: the worker's own process binds `process: "worker"`; in the
 * embedded one-process mode the lines stay untagged, since Nest's static Logger, which the API's
 * framework lines use too, ends up writing through the context created last.
 */
export function createWorkerContext(config: AppConfig, logger: Logger): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
}
