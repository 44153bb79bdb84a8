import 'reflect-metadata';
import { createRootLogger, keepShortLivedObjectsYoung, onShutdownSignal } from '@referloop/common';
import { loadConfigOrExit } from '@referloop/config';
import { createWorkerContext } from './create-worker-context';

/** The worker process (server mode). Migrations are the `migrate` step's job, not the worker's. */
async function main(): Promise<void> {
  keepShortLivedObjectsYoung();
  const config = loadConfigOrExit();
  if (config.mode === 'embedded') {
    process.stderr.write('referloop-worker: DATABASE_URL is required; in embedded mode `npm start` runs the worker in-process\n');
    process.exit(78);
  }
  const logger = createRootLogger(config.logLevel).child({ process: 'worker' });
  const worker = await createWorkerContext(config, logger);
  // Workers close before queues and pools (Nest closes modules in reverse order of creation).
  onShutdownSignal(logger, () => worker.close());
  logger.info('ReferLoop worker started');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `referloop-worker: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
