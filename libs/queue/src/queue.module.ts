import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { bullConnection, type QueueConnectionPurpose, QueueStoreProbe, selectQueueBackend } from './queue-store';

@Global()
@Module({})
export class QueueModule implements OnApplicationShutdown {
  constructor(@Inject(QueueStoreProbe) private readonly probe: QueueStoreProbe) {}

  /** `purpose` picks the connection behaviour: fail-fast producers (API) or blocking workers. */
  static forRoot(config: AppConfig, purpose: QueueConnectionPurpose): DynamicModule {
    const kind = selectQueueBackend(config);
    return {
      module: QueueModule,
      imports: [
        BullModule.forRoot({
          connection: bullConnection(config, purpose) as never,
          // Redis keys are namespaced by prefix; the PostgreSQL backend uses the schema instead.
          ...(kind === 'redis' ? { prefix: config.queuePrefix } : {}),
        }),
      ],
      providers: [{ provide: QueueStoreProbe, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new QueueStoreProbe(c) }],
      exports: [BullModule, QueueStoreProbe],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.probe.close();
  }
}
