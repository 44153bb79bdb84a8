import { type DynamicModule, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { type AppConfig, ConfigModule } from '@referloop/config';
import { DatabaseModule } from '@referloop/database';
import { NotificationsWorkerModule } from '@referloop/notifications/worker';
import { QueueModule, QueueStoreProbe } from '@referloop/queue';

/**
 * The headless worker: BullMQ processors and schedulers, no HTTP. Processors are registered
 * here only, never in the API module, so the API process never consumes jobs.
 */
@Module({})
export class WorkerModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('Worker');

  constructor(private readonly queueStore: QueueStoreProbe) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'referloop-worker'),
        QueueModule.forRoot(config, 'worker'),
        NotificationsWorkerModule,
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queueStore.ping();
    this.logger.log(`connected to the queue store (${this.queueStore.kind})`);
    const warning = await this.queueStore.evictionWarning();
    if (warning) this.logger.error(`WARNING: ${warning}`);
  }
}
