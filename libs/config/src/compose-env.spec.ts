import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './app-config';

/** Every variable `loadConfig` reads, found by reading a server-mode environment through a Proxy. */
function variablesRead(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy<Record<string, string | undefined>>(
    {
      DATABASE_URL: 'postgres://referloop:secret@db.internal:5432/referloop',
      REDIS_URL: 'redis://cache.internal:6379/2',
      JWT_SECRET: 'a-very-long-signing-secret-of-at-least-32-chars',
    },
    {
      get(target, name) {
        if (typeof name === 'string') read.add(name);
        return typeof name === 'string' ? target[name] : undefined;
      },
    },
  );
  loadConfig(env);
  return read;
}

/** The keys of the block under the first line matching `start` (after the line matching `after`, if given). */
function composeKeys(text: string, start: RegExp, after?: RegExp): string[] {
  const lines = text.split('\n');
  const section = after ? lines.findIndex((l) => after.test(l)) : 0;
  const from = lines.findIndex((l, i) => i >= section && start.test(l));
  expect(from).toBeGreaterThanOrEqual(0);
  const indent = /^(\s*)/.exec(lines[from + 1])![1];
  const keys: string[] = [];
  for (const line of lines.slice(from + 1)) {
    if (line.trim().startsWith('#')) continue;
    if (!line.startsWith(indent) || line.trim() === '') break;
    const key = new RegExp(`^${indent}([A-Z][A-Z0-9_]*):`).exec(line);
    if (key) keys.push(key[1]);
  }
  return keys;
}

describe('docker-compose.yml', () => {
  const compose = readFileSync(join(__dirname, '../../../docker-compose.yml'), 'utf8');

  it('passes every configuration variable on to the app containers', () => {
    const shared = composeKeys(compose, /^x-app-env: &app-env/);
    const apiOnly = composeKeys(compose, /^ {4}environment:$/, /^ {2}api:$/);
    // Refused names (a start with them set stops with a message naming their replacement).
    const refused = ['QUEUE_DASHBOARD_USER', 'QUEUE_DASHBOARD_PASSWORD'];
    const missing = [...variablesRead()].filter((name) => !refused.includes(name) && ![...shared, ...apiOnly].includes(name));
    expect(missing).toEqual([]);
  });
});
