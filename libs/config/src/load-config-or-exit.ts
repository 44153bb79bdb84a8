import { type AppConfig, ConfigError, loadConfig } from './app-config';

/** Loads the configuration or stops the process with a message naming each bad variable. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`referloop: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}
