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

/**
 * Stops this process as SIGTERM does once the process that started it has ended. `npm start` runs the
 * app under `sh -c` (its build comes first), and a SIGTERM to npm alone (`kill <pid>`, a process
 * manager, `timeout`) ends npm and that shell but reaches no further: the app, and the embedded
 * PostgreSQL it runs, carried on without them. Ctrl-C signals the whole process group and needs none
 * of this. Only for `npm start`: a process started to outlive its parent (`nohup … &`) keeps running.
 */
export function stopWithParent(logger: Logger, everyMs = 1_000): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    logger.info({ parent }, 'the npm start that ran this process ended: stopping');
    process.kill(process.pid, 'SIGTERM');
  }, everyMs);
  timer.unref();
}
