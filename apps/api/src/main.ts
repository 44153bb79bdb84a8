import 'reflect-metadata';
import { createRootLogger, onShutdownSignal } from '@referloop/common';
// Embedded mode runs the worker in this process: one command, no servers to install.
import { createWorkerContext } from '../../worker/src/create-worker-context';
import { loadConfigOrExit } from '@referloop/config';
import { prepareStorage } from './bootstrap/prepare-storage';
import { createApiApp } from './http/create-api-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createRootLogger(config.logLevel);
  const storage = await prepareStorage(config, logger);
  const app = await createApiApp(storage.config, logger);
  const worker = storage.config.mode === 'embedded' ? await createWorkerContext(storage.config, logger) : undefined;
  onShutdownSignal(logger, async () => {
    await app.close();
    await worker?.close();
    await storage.stop();
  });
  await app.listen({ port: config.port, host: config.host });
  logger.info(
    { url: `http://${config.host}:${config.port}`, docs: `${config.publicUrl}/api/docs`, mode: config.mode },
    'ReferLoop API listening',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`referloop: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
