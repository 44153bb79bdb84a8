import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type AppConfig } from '@referloop/config';
import { DEFAULT_POOL_WAIT_MS, dataSourceOptions } from './data-source';

@Module({})
export class DatabaseModule {
  /** `defaultPoolWaitMs`: the process's pool wait unless DATABASE_POOL_WAIT sets one. */
  static forRoot(config: AppConfig, applicationName: string, defaultPoolWaitMs = DEFAULT_POOL_WAIT_MS): DynamicModule {
    if (!config.databaseUrl) throw new Error('DatabaseModule needs a database URL (start the embedded server first)');
    const options = dataSourceOptions({
      url: config.databaseUrl,
      applicationName,
      poolSize: config.database.poolSize,
      poolWaitMs: config.database.poolWaitMs ?? defaultPoolWaitMs,
    });
    return {
      module: DatabaseModule,
      // Each domain module contributes its entities with TypeOrmModule.forFeature, so the app's set is the modules it imports.
      imports: [TypeOrmModule.forRoot({ ...options, autoLoadEntities: true })],
      exports: [TypeOrmModule],
    };
  }
}
