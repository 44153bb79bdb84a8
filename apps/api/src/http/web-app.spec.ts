import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEB_APP_ROUTE_WORDS } from './web-app';

const WEB_SOURCES = join(__dirname, '../../../web/src');

/** Every `.ts`/`.tsx` file of the web app, generated API types aside. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'api' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe('the web app screens the access log may name', () => {
  it('holds every word of every screen path the web app links to or routes', () => {
    // A screen path is a string literal from the root (`'/admin/overdue'`, `/referrals/${id}`), not the API's.
    const paths = sourceFiles(WEB_SOURCES).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/['"`](\/[a-z0-9-]+(?:\/[a-z0-9-]+)*)(?=['"`/?#$])/g)].map((m) => m[1]),
    );
    const screenWords = new Set(
      paths.filter((path) => !/^\/(?:api|health|trial)(?:\/|$)/.test(path)).flatMap((path) => path.split('/').filter(Boolean)),
    );
    expect(screenWords.size).toBeGreaterThan(10);
    const known: ReadonlySet<string> = new Set(WEB_APP_ROUTE_WORDS);
    expect([...screenWords].filter((word) => !known.has(word))).toEqual([]);
  });
});
