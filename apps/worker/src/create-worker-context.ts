import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PinoNestLogger } from '@referloop/common';
import type { AppConfig } from '@referloop/config';
import type { Logger } from 'pino';
import { WorkerModule } from './worker.module';

export function createWorkerContext(config: AppConfig, logger: Logger): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger.child({ process: 'worker' })),
    abortOnError: false,
  });
}
