import { Logger } from '@nestjs/common';
import { Client } from 'pg';

const RECONNECT_DELAY_MS = 1_000;

export interface PgListenerOptions {
  /** The config's URL (set by the time modules are built, also on the embedded default). */
  databaseUrl: string | undefined;
  /** The LISTEN channel. */
  channel: string;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  /** Session settings run before LISTEN (e.g. `SET lock_timeout = '200ms'`). */
  setup?: string[];
  onNotification: (payload: string) => void;
  /** The connection is up and listening (again): anything sent while it was down was missed. */
  onListening?: () => void;
  /** The connection went away: until `onListening`, no notification arrives. */
  onLost?: () => void;
}

/**
 * One dedicated connection LISTENing on one channel, reconnecting a second after it is lost. Pooled
 * connections cannot listen (a notification reaches only the session that asked for it).
 */
export class PgListener {
  private readonly logger: Logger;
  private current?: Client;
  private up = false;
  private stopped = false;

  constructor(private readonly options: PgListenerOptions) {
    if (!options.databaseUrl) throw new Error(`PgListener ${options.channel} needs a database URL`);
    this.logger = new Logger(`PgListener ${options.channel}`);
  }

  /** The listening connection while it is up (for session-level commands such as advisory locks). */
  get client(): Client | undefined {
    return this.up ? this.current : undefined;
  }

  get listening(): boolean {
    return this.up;
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.up = false;
    const client = this.current;
    this.current = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { databaseUrl, channel, applicationName } = this.options;
    const client = new Client({ connectionString: databaseUrl, application_name: applicationName });
    const lost = () => {
      if (this.current !== client || this.stopped) return;
      this.current = undefined;
      this.up = false;
      this.options.onLost?.();
      setTimeout(() => void this.connect(), RECONNECT_DELAY_MS).unref();
    };
    client.on('error', (error) => {
      this.logger.warn('lost its connection', error);
      lost();
    });
    client.on('end', lost);
    client.on('notification', (message) => this.options.onNotification(message.payload ?? ''));
    this.current = client;
    try {
      await client.connect();
      for (const statement of this.options.setup ?? []) await client.query(statement);
      await client.query(`LISTEN ${channel}`);
      if (this.current !== client) return;
      this.up = true;
      this.options.onListening?.();
    } catch (error) {
      this.logger.warn('could not connect', error);
      await client.end().catch(() => undefined);
      lost();
    }
  }
}
