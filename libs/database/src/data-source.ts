import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { shapePgResults } from './pg-result-shape';

export interface DatabaseOptions {
  url: string;
  /** Entity classes, composed by the app from each domain lib's list (this lib names none of them). Migrations need none. */
  entities?: NonNullable<DataSourceOptions['entities']>;
  poolSize?: number;
  /** How long a query waits for a free pooled connection (or a new one to connect) before it fails. */
  poolWaitMs?: number;
  applicationName?: string;
}

export const DEFAULT_POOL_WAIT_MS = 5_000;

/** Options of the one DataSource. `synchronize` is never on: the schema comes from migrations only. */
export function dataSourceOptions({
  url,
  entities = [],
  poolSize = 20,
  poolWaitMs = DEFAULT_POOL_WAIT_MS,
  applicationName = 'referloop',
}: DatabaseOptions): DataSourceOptions {
  // Every DataSource reads its rows through pg's Result (idempotent: installed once per process).
  shapePgResults();
  return {
    type: 'postgres',
    url,
    entities,
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
      connectionTimeoutMillis: poolWaitMs,
      idleTimeoutMillis: 30_000,
      // The tables live in `public`. Without this, PostgreSQL's default search_path
      // ("$user", public) picks a schema named like the database user once one exists, and the
      // PostgreSQL queue backend creates exactly that (schema = QUEUE_PREFIX, `referloop`, also
      // the embedded server's user): the next start would migrate a second, empty set of tables
      // there and the data would seem gone.
      // random_page_cost: the tables a request reads are in memory, where an index lookup costs
      // about what a sequential page read does. At the default (4, for spinning disks) PostgreSQL
      // joined a create's or an action's row to the small tables (clinics, invites) by hashing each
      // whole table, and planned the admin metrics worse (see data-source.int-spec.ts).
      // TimeZone: adding days or weeks to a timestamptz keeps the wall-clock time of the session's
      // zone, which is the server's default (initdb takes the machine's: a trial on a laptop in New
      // York), so a two-week report period across a DST change was an hour short or long of the
      // exact two weeks that the period's number counts.
      options: '-c search_path=public -c random_page_cost=1.1 -c TimeZone=UTC',
    },
  };
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(options));
}
