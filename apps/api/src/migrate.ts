import 'reflect-metadata';
import { createRootLogger } from '@referloop/common';
import { loadConfigOrExit } from '@referloop/config';
import { prepareStorage } from './bootstrap/prepare-storage';

/** One-shot `migrate` command (the docker-compose `migrate` service): apply migrations, then exit. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createRootLogger(config.logLevel);
  const storage = await prepareStorage(config, logger);
  await storage.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `referloop: migration failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
