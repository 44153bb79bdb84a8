import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Typed, validated configuration. Built once from the environment at start-up;
 * a missing or malformed variable stops the process with a message naming it.
 */
export interface AppConfig {
  /** `embedded`: no DATABASE_URL, a private PostgreSQL under DATA_DIR and the PostgreSQL queue backend. */
  mode: 'embedded' | 'server';
  nodeEnv: string;
  databaseUrl?: string;
  redisUrl?: string;
  host: string;
  port: number;
  dataDir: string;
  /** Base URL of the web app, used in invitation links and notification emails. */
  publicUrl: string;
  corsOrigins: string[];
  logLevel: string;
  jwt: {
    secret: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  invitationTtlHours: number;
  /** Attempts per minute and IP on login/refresh/register before 429. */
  authRateLimitPerMinute: number;
  /** Prefix of every queue name in the store: lets test files and deployments share one Redis. */
  queuePrefix: string;
  /** argon2id memory cost in KiB (OWASP minimum 19 MiB). */
  passwordMemoryKib: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const MAX_ACCESS_TTL_SECONDS = 15 * 60;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const url = (name: string, protocols: string[]): string | undefined => {
    const value = read(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')} (got ${parsed.protocol}//)`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return value;
  };

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = read(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  };

  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const mode = databaseUrl ? 'server' : 'embedded';
  const port = int('PORT', 3000, 0, 65535);
  const host = read('HOST') ?? (mode === 'embedded' ? '127.0.0.1' : '0.0.0.0');
  const dataDirRaw = read('DATA_DIR') ?? '.referloop';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(process.cwd(), dataDirRaw);

  const publicUrl = url('PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`;

  const corsOrigins = (read('CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    try {
      const parsed = new URL(origin);
      if (parsed.origin !== origin) problems.push(`CORS_ORIGINS entry "${origin}" must be a bare origin like https://app.example.com`);
    } catch {
      problems.push(`CORS_ORIGINS entry "${origin}" is not a valid origin`);
    }
  }

  const logLevel = read('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  let secret = read('JWT_SECRET');
  if (secret !== undefined && secret.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters');
  } else if (secret === undefined && mode === 'server') {
    problems.push('JWT_SECRET is required when DATABASE_URL is set (at least 32 characters)');
  }

  const accessTtlSeconds = int('ACCESS_TOKEN_TTL_SECONDS', MAX_ACCESS_TTL_SECONDS, 30, MAX_ACCESS_TTL_SECONDS);
  const refreshTtlSeconds = int('REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600, 60, 365 * 24 * 3600);
  const invitationTtlHours = int('INVITATION_TTL_HOURS', 72, 1, 24 * 30);
  const authRateLimitPerMinute = int('AUTH_RATE_LIMIT_PER_MINUTE', 20, 1, 100_000);
  const passwordMemoryKib = int('PASSWORD_HASH_MEMORY_KIB', 19_456, 19_456, 1_048_576);

  const queuePrefix = read('QUEUE_PREFIX') ?? 'referloop';
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(queuePrefix)) {
    problems.push('QUEUE_PREFIX must be lowercase letters, digits and underscores, starting with a letter');
  }

  if (problems.length > 0) throw new ConfigError(problems);

  if (secret === undefined) secret = embeddedJwtSecret(dataDir);

  return {
    mode,
    nodeEnv: read('NODE_ENV') ?? 'development',
    databaseUrl,
    redisUrl,
    host,
    port,
    dataDir,
    publicUrl: publicUrl.replace(/\/$/, ''),
    corsOrigins,
    logLevel,
    jwt: { secret, accessTtlSeconds, refreshTtlSeconds },
    invitationTtlHours,
    authRateLimitPerMinute,
    queuePrefix,
    passwordMemoryKib,
  };
}

/** In embedded mode the signing secret is generated once and kept in DATA_DIR, so sessions survive restarts. */
function embeddedJwtSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}
