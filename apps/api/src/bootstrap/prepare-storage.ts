import type { AppConfig } from '@referloop/config';
import { createDataSource, runMigrationsLocked, startEmbeddedPostgres } from '@referloop/database';
import { prepareQueueStore } from '@referloop/queue';
import type { Logger } from 'pino';

export interface PreparedStorage {
  /** The configuration with the database URL filled in (the embedded server's, in embedded mode). */
  config: AppConfig;
  /** The embedded PostgreSQL's data folder, in embedded mode. */
  clusterDir?: string;
  /** Stops what this step started (the embedded PostgreSQL server), if anything. */
  stop(): Promise<void>;
}

/**
 * Makes the system of record ready: starts the embedded PostgreSQL when there is no
 * DATABASE_URL, applies migrations under an advisory lock, and creates BullMQ's tables when
 * jobs live in PostgreSQL. Safe to run from several instances at once.
 */
export async function prepareStorage(config: AppConfig, logger: Logger): Promise<PreparedStorage> {
  const embedded = config.mode === 'embedded' ? await startEmbeddedPostgres(config.dataDir, logger) : undefined;
  const ready: AppConfig = embedded ? { ...config, databaseUrl: embedded.url } : config;
  try {
    await migrate(ready, logger);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return { config: ready, clusterDir: embedded?.clusterDir, stop: async () => embedded?.stop() };
}

export async function migrate(config: AppConfig, logger: Logger): Promise<void> {
  const dataSource = createDataSource({ url: config.databaseUrl as string, poolSize: 2, applicationName: 'referloop-migrate' });
  await dataSource.initialize();
  try {
    const applied = await runMigrationsLocked(dataSource);
    logger.info({ applied }, applied.length ? 'database migrations applied' : 'database schema is up to date');
  } finally {
    await dataSource.destroy();
  }
  await prepareQueueStore(config);
}
