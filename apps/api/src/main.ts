import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createRootLogger, keepShortLivedObjectsYoung, onShutdownSignal, StartRefused, stopWithParent } from '@referloop/common';
import { loadConfigOrExit } from '@referloop/config';
import { assertDataDirFree } from '@referloop/database';
import { type PreparedStorage, prepareStorage } from './bootstrap/prepare-storage';
import { assertPortFree } from './bootstrap/port-free';
import { welcome, welcomeText } from './bootstrap/welcome';
import { createApiApp } from './http/create-api-app';

/** `main.js --check-start`: only whether a start would be refused (the data folder in use, the port taken). */
const CHECK_ONLY = process.argv.includes('--check-start');

async function main(): Promise<void> {
  keepShortLivedObjectsYoung();
  const config = loadConfigOrExit();
  // The data folder first: when this folder's ReferLoop runs, that is the reason to give, not its port.
  if (config.mode === 'embedded') assertDataDirFree(config.dataDir);
  if (CHECK_ONLY) return assertPortFree(config.host, config.port);
  const logger = createRootLogger(config.logLevel);
  let storage: PreparedStorage | undefined;
  let app: NestFastifyApplication | undefined;
  let worker: INestApplicationContext | undefined;
  // API first (stop taking requests), then the worker, then the embedded server they both use.
  const stop = async () => {
    await app?.close();
    await worker?.close();
    await storage?.stop();
  };
  // From the start: a signal while the embedded server starts still stops it (see embedded-postgres.ts).
  onShutdownSignal(logger, stop);
  // Run by `npm start`: stop when it ends, however it was stopped (see stopWithParent).
  if (process.env.npm_lifecycle_event === 'start') stopWithParent(logger);
  try {
    await assertPortFree(config.host, config.port);
    storage = await prepareStorage(config, logger);
    app = await createApiApp(storage.config, logger);
    // Embedded mode runs the worker in this process (one command, no servers to install); an API
    // in server mode never loads the worker's code.
    if (storage.config.mode === 'embedded') {
      const { createWorkerContext } = await import('../../worker/src/create-worker-context.js');
      worker = await createWorkerContext(storage.config, logger);
    }
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  logger.info(
    { url: `http://${config.host}:${config.port}`, docs: `${config.publicUrl}/api/docs`, mode: config.mode },
    'ReferLoop API listening',
  );
  if (config.mode === 'embedded') {
    const facts = welcome(config, storage.clusterDir);
    // A person at a terminal gets a few plain lines; anything else (CI, a service manager) one JSON line.
    if (process.stdout.isTTY) process.stdout.write(welcomeText(facts));
    else logger.info(facts, 'ReferLoop is running');
  }
}

main().catch((error: unknown) => {
  const text =
    error instanceof StartRefused ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`referloop: failed to start: ${text}\n`);
  process.exit(1);
});
