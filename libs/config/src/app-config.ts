import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
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
  database: {
    /** Connections in each process's pool. */
    poolSize: number;
    /** How long a query waits for a free pooled connection before failing; unset: the process's default. */
    poolWaitMs?: number;
  };
  host: string;
  port: number;
  dataDir: string;
  /** Base URL of the web app, used in invitation links and notification emails. */
  publicUrl: string;
  /** PUBLIC_URL was set: links use it; otherwise invitation links follow the address the app was opened on. */
  publicUrlConfigured: boolean;
  corsOrigins: string[];
  logLevel: string;
  jwt: {
    secret: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  /** Absolute lifetime of a session from sign-in: refreshing never extends it. */
  sessionMaxAgeMs: number;
  /**
   * Which proxies in front of the API to believe about the client's address (X-Forwarded-For):
   * none (false), the nearest N hops, or these addresses/CIDRs. Passed to Fastify's `trustProxy`.
   */
  trustProxy: false | number | string[];
  invitationTtlHours: number;
  /** Attempts per minute on each auth route, per client IP and per account (email) alike, before 429. */
  authRateLimitPerMinute: number;
  /** Prefix of every queue name in the store: lets test files and deployments share one Redis. */
  queuePrefix: string;
  /** argon2id memory cost in KiB (OWASP minimum 19 MiB). */
  passwordMemoryKib: number;
  notifications: {
    /** SMTP server for email notifications; the email channel is off without it (except for the trial mailbox). */
    smtpUrl?: string;
    /**
     * The embedded default without SMTP_URL: emails land in a local mailbox in DATA_DIR, shown at
     * /trial/mailbox to the machine itself. Never in server mode.
     */
    trialMailbox: boolean;
    emailFrom: string;
    /** Hosts (names or IPs) that webhooks may target even though they are private or loopback. */
    webhookAllowedHosts: string[];
    webhookTimeoutMs: number;
    /** Delivery attempts per email or webhook before it lands in the failed list. */
    deliveryAttempts: number;
    /** First retry delay; each further attempt doubles it. */
    retryBaseDelayMs: number;
    /** Safety-net sweep of the outbox (LISTEN/NOTIFY wakes the relay at once). */
    relaySweepMs: number;
  };
  timers: {
    reminderAfterMs: number;
    escalateAfterMs: number;
    expireAfterMs: number;
    autoCloseAfterMs: number;
    /** Urgent referrals' own, shorter response clock. */
    urgentReminderAfterMs: number;
    urgentEscalateAfterMs: number;
    urgentExpireAfterMs: number;
    /** How often the timer job scheduler runs. */
    sweepEveryMs: number;
  };
  /**
   * The operator credential (HTTP basic auth): the queue dashboard at /admin/queues (off when
   * unset) and the details of /health/ready.
   */
  operator?: { user: string; password: string };
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

/** A DNS host name (letters, digits, hyphens; dot-separated labels). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** `address@host` alone, or `Display Name <address@host>`. */
const EMAIL_FROM = /^(?:[^<>@]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/;

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
  if (!HOST_NAME.test(host) && isIP(host) === 0) problems.push(`HOST must be an IP address or a host name (got "${host}")`);
  const dataDirRaw = read('DATA_DIR') ?? '.referloop';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(process.cwd(), dataDirRaw);
  if (mode === 'embedded' && existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    problems.push(`DATA_DIR must be a folder (${dataDir} is a file)`);
  }

  const configuredPublicUrl = url('PUBLIC_URL', ['http:', 'https:']);
  // Embedded, links open where the start-up message sends the person trying it (another host name
  // would be another site to the browser: signed out there).
  const localHost = ['0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host;
  const publicUrl =
    configuredPublicUrl ??
    (mode === 'embedded'
      ? `http://${localHost.includes(':') ? `[${localHost}]` : localHost}:${port}`
      : `http://localhost:${port}`);

  const corsOrigins = (read('CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    try {
      const parsed = new URL(origin);
      if (parsed.origin !== origin)
        problems.push(`CORS_ORIGINS entry "${origin}" must be a bare origin like https://app.example.com`);
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

  const duration = (name: string, fallback: string): number => {
    const value = read(name) ?? fallback;
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
    if (!match || Number(match[1]) <= 0) {
      problems.push(`${name} must be a duration like 500ms, 30s, 15m, 48h or 14d (got "${value}")`);
      return 0;
    }
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return Number(match[1]) * unit;
  };

  const smtpUrl = url('SMTP_URL', ['smtp:', 'smtps:']);
  const webhookAllowedHosts = (read('WEBHOOK_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const allowed of webhookAllowedHosts) {
    if (!HOST_NAME.test(allowed) && isIP(allowed.replace(/^\[|\]$/g, '')) === 0) {
      problems.push(
        `WEBHOOK_ALLOWED_HOSTS entry "${allowed}" is not a host name or an IP address (separate entries with commas)`,
      );
    }
  }
  const emailFrom = read('EMAIL_FROM') ?? 'ReferLoop <no-reply@referloop.local>';
  if (!EMAIL_FROM.test(emailFrom)) {
    problems.push(`EMAIL_FROM must be an address, alone or as Name <address> (got "${emailFrom}")`);
  }
  const operatorUser = read('OPERATOR_USER');
  const operatorPassword = read('OPERATOR_PASSWORD');
  if (Boolean(operatorUser) !== Boolean(operatorPassword)) {
    problems.push('OPERATOR_USER and OPERATOR_PASSWORD must be set together');
  } else if (operatorPassword && operatorPassword.length < 12) {
    problems.push('OPERATOR_PASSWORD must be at least 12 characters');
  } else if (operatorUser?.includes(':')) {
    problems.push('OPERATOR_USER must not contain ":" (HTTP basic auth separates user and password with it)');
  }
  for (const renamed of ['QUEUE_DASHBOARD_USER', 'QUEUE_DASHBOARD_PASSWORD']) {
    if (read(renamed) !== undefined)
      problems.push(`${renamed} was renamed: set ${renamed.replace('QUEUE_DASHBOARD_', 'OPERATOR_')}`);
  }
  const notifications = {
    smtpUrl,
    trialMailbox: mode === 'embedded' && smtpUrl === undefined,
    emailFrom,
    webhookAllowedHosts,
    webhookTimeoutMs: duration('WEBHOOK_TIMEOUT', '10s'),
    deliveryAttempts: int('NOTIFICATION_ATTEMPTS', 8, 1, 50),
    retryBaseDelayMs: duration('NOTIFICATION_RETRY_BASE_DELAY', '2s'),
    relaySweepMs: duration('OUTBOX_SWEEP_INTERVAL', '2s'),
  };
  const timers = {
    reminderAfterMs: duration('REMINDER_AFTER', '48h'),
    escalateAfterMs: duration('ESCALATE_AFTER', '96h'),
    expireAfterMs: duration('EXPIRE_AFTER', '14d'),
    autoCloseAfterMs: duration('AUTO_CLOSE_AFTER', '14d'),
    urgentReminderAfterMs: duration('URGENT_REMINDER_AFTER', '4h'),
    urgentEscalateAfterMs: duration('URGENT_ESCALATE_AFTER', '24h'),
    urgentExpireAfterMs: duration('URGENT_EXPIRE_AFTER', '3d'),
    sweepEveryMs: duration('TIMER_SWEEP_INTERVAL', '1m'),
  };

  const sessionMaxAgeMs = duration('SESSION_MAX_AGE', '30d');
  const trustProxy = parseTrustProxy(read('TRUST_PROXY'), problems);

  const database = {
    poolSize: int('DATABASE_POOL_SIZE', 20, 1, 1_000),
    poolWaitMs: read('DATABASE_POOL_WAIT') === undefined ? undefined : duration('DATABASE_POOL_WAIT', '5s'),
  };

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
    database,
    host,
    port,
    dataDir,
    publicUrl: publicUrl.replace(/\/$/, ''),
    publicUrlConfigured: configuredPublicUrl !== undefined,
    corsOrigins,
    logLevel,
    jwt: { secret, accessTtlSeconds, refreshTtlSeconds },
    sessionMaxAgeMs,
    trustProxy,
    invitationTtlHours,
    authRateLimitPerMinute,
    queuePrefix,
    passwordMemoryKib,
    notifications,
    timers,
    operator: operatorUser && operatorPassword ? { user: operatorUser, password: operatorPassword } : undefined,
  };
}

/** TRUST_PROXY: `false` (default), a hop count (`1`), or a comma list of IPs and CIDRs. */
function parseTrustProxy(value: string | undefined, problems: string[]): false | number | string[] {
  if (value === undefined || value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops >= 1 && hops <= 10) return hops;
    problems.push(`TRUST_PROXY hop count must be between 1 and 10 (got "${value}")`);
    return false;
  }
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !validBits || rest.length > 0) {
      problems.push(`TRUST_PROXY must be false, a hop count, or a comma list of IP addresses and CIDRs ("${entry}" is none)`);
    }
  }
  return entries;
}

/** In embedded mode the signing secret is generated once and kept in DATA_DIR, so sessions survive restarts. */
function embeddedJwtSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  // Private: it holds secrets, the embedded database's pointer and the trial mailbox.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}
