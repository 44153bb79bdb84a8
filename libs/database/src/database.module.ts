import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type AppConfig } from '@referloop/config';
import { type DatabaseOptions, DEFAULT_POOL_WAIT_MS, dataSourceOptions } from './data-source';

export interface DatabaseModuleOptions {
  applicationName: string;
  /** Every entity class, composed by the app from the domain libs' lists (their foreign keys name each other's tables). */
  entities: NonNullable<DatabaseOptions['entities']>;
  /** The process's pool wait unless DATABASE_POOL_WAIT sets one. */
  defaultPoolWaitMs?: number;
}

@Module({})
export class DatabaseModule {
  static forRoot(
    config: AppConfig,
    { applicationName, entities, defaultPoolWaitMs = DEFAULT_POOL_WAIT_MS }: DatabaseModuleOptions,
  ): DynamicModule {
    if (!config.databaseUrl) throw new Error('DatabaseModule needs a database URL (start the embedded server first)');
    const options = dataSourceOptions({
      url: config.databaseUrl,
      applicationName,
      entities,
      poolSize: config.database.poolSize,
      poolWaitMs: config.database.poolWaitMs ?? defaultPoolWaitMs,
    });
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot(options)],
      exports: [TypeOrmModule],
    };
  }
}
