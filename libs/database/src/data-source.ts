import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
}

/** Options of the one DataSource. `synchronize` is never on: the schema comes from migrations only. */
export function dataSourceOptions({ url, poolSize = 20, applicationName = 'referloop' }: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName,
    extra: {
      max: poolSize,
      // Fail fast instead of queueing forever when the pool or the server is unavailable.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      // The tables live in `public`. Without this, PostgreSQL's default search_path
      // ("$user", public) picks a schema named like the database user once one exists, and the
      // PostgreSQL queue backend creates exactly that (schema = QUEUE_PREFIX, `referloop`, also
      // the embedded server's user): the next start would migrate a second, empty set of tables
      // there and the data would seem gone.
      options: '-c search_path=public',
    },
  };
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(options));
}
