import type { Logger } from 'pino';

/**
 * Runs `shutdown` once on SIGTERM, SIGINT or SIGHUP (the terminal closed), then exits. A second
 * signal, or a shutdown that takes longer than `graceMs`, forces the exit so an orchestrator never
 * waits forever. What this process started in a process group of its own (the embedded PostgreSQL)
 * is stopped by `shutdown`, not by the terminal's signal.
 */
export function onShutdownSignal(logger: Logger, shutdown: () => Promise<void>, graceMs = 10_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, graceMs);
    force.unref();
    shutdown().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  process.on('SIGHUP', handler);
}
