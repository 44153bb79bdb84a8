import { type DynamicModule, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { type AppConfig, ConfigModule } from '@referloop/config';
import { DatabaseModule, OutboxEventEntity } from '@referloop/database';
import { IDENTITY_ENTITIES } from '@referloop/identity/entities';
import { NOTIFICATION_ENTITIES } from '@referloop/notifications/entities';
import { PATIENT_ENTITIES } from '@referloop/patients/entities';
import { REFERRAL_ENTITIES } from '@referloop/referrals/entities';
import { NotificationsWorkerModule } from '@referloop/notifications/worker';
import { QueueModule, QueueStoreProbe } from '@referloop/queue';

/** Every table's entity class (their foreign keys name each other's tables, so a DataSource needs them all). */
const WORKER_ENTITIES = [
  ...IDENTITY_ENTITIES,
  ...PATIENT_ENTITIES,
  ...REFERRAL_ENTITIES,
  ...NOTIFICATION_ENTITIES,
  OutboxEventEntity,
];

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
        DatabaseModule.forRoot(config, { applicationName: 'referloop-worker', entities: WORKER_ENTITIES }),
        QueueModule.forRoot(config, 'worker'),
        NotificationsWorkerModule,
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.queueStore.ping();
    } catch (error) {
      // Start anyway: the outbox relay fans out in-app notifications without the queue store, and the
      // queues and the reconciler catch up on their own once it answers.
      this.logger.warn(
        `the queue store (${this.queueStore.kind}) is unreachable at start (${(error as Error).message}): email, webhooks and timers wait for it`,
      );
      return;
    }
    this.logger.log(`connected to the queue store (${this.queueStore.kind})`);
    const warning = await this.queueStore.evictionWarning();
    if (warning) this.logger.warn(warning);
  }
}
