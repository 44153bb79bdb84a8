import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config';

const SERVER = {
  DATABASE_URL: 'postgres://referloop:secret@db.internal:5432/referloop',
  REDIS_URL: 'redis://cache.internal:6379/2',
  JWT_SECRET: 'a-very-long-signing-secret-of-at-least-32-chars',
};

/** The problems a bad environment is refused with (fails the test if it is accepted). */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

describe('loadConfig', () => {
  describe('server mode (DATABASE_URL set)', () => {
    it('reads a complete environment with its defaults', () => {
      const config = loadConfig(SERVER);
      expect(config).toMatchObject({
        mode: 'server',
        databaseUrl: SERVER.DATABASE_URL,
        redisUrl: SERVER.REDIS_URL,
        host: '0.0.0.0',
        port: 3000,
        publicUrl: 'http://localhost:3000',
        publicUrlConfigured: false,
        trustProxy: false,
        corsOrigins: [],
        logLevel: 'info',
        queuePrefix: 'referloop',
        jwt: { secret: SERVER.JWT_SECRET, accessTtlSeconds: 900, refreshTtlSeconds: 30 * 24 * 3600 },
        database: { poolSize: 20, poolWaitMs: undefined },
      });
    });

    it('reads the database pool size and wait', () => {
      expect(loadConfig({ ...SERVER, DATABASE_POOL_SIZE: '1', DATABASE_POOL_WAIT: '250ms' }).database).toEqual({
        poolSize: 1,
        poolWaitMs: 250,
      });
    });

    it('refuses a missing JWT_SECRET, naming it', () => {
      const { JWT_SECRET: _omitted, ...env } = SERVER;
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/JWT_SECRET/);
      expect(problemsOf(env)).toEqual([expect.stringContaining('JWT_SECRET is required')]);
    });

    it('reads SESSION_MAX_AGE (default 30 days) and refuses a malformed one', () => {
      expect(loadConfig(SERVER).sessionMaxAgeMs).toBe(30 * 86_400_000);
      expect(loadConfig({ ...SERVER, SESSION_MAX_AGE: '12h' }).sessionMaxAgeMs).toBe(12 * 3_600_000);
      expect(problemsOf({ ...SERVER, SESSION_MAX_AGE: 'forever' })).toEqual([expect.stringContaining('SESSION_MAX_AGE')]);
    });

    it.each([
      [undefined, false],
      ['false', false],
      ['1', 1],
      ['10.0.0.0/8, 192.168.1.10,::1,fd00::/8', ['10.0.0.0/8', '192.168.1.10', '::1', 'fd00::/8']],
    ])('reads TRUST_PROXY=%s', (value, expected) => {
      expect(loadConfig({ ...SERVER, TRUST_PROXY: value }).trustProxy).toEqual(expected);
    });

    it.each(['0', '11', 'yes', '10.0.0.0/33', 'lb.internal', '10.0.0.1/8/2', '::1/129'])('refuses TRUST_PROXY=%s', (value) => {
      expect(problemsOf({ ...SERVER, TRUST_PROXY: value })).toEqual([expect.stringContaining('TRUST_PROXY')]);
    });

    it('refuses a short JWT_SECRET', () => {
      expect(problemsOf({ ...SERVER, JWT_SECRET: 'short' })).toEqual([expect.stringMatching(/JWT_SECRET.*32/)]);
    });

    it.each([
      ['not a URL', 'not a url', /DATABASE_URL is not a valid URL/],
      ['another database', 'mysql://user@host/db', /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//],
    ])('refuses a DATABASE_URL that is %s', (_label, value, message) => {
      expect(problemsOf({ ...SERVER, DATABASE_URL: value })).toEqual([expect.stringMatching(message)]);
    });

    it('refuses a REDIS_URL that is not redis', () => {
      expect(problemsOf({ ...SERVER, REDIS_URL: 'http://cache:6379' })).toEqual([
        expect.stringMatching(/^REDIS_URL must start with redis:\/\//),
      ]);
    });

    it.each(['abc', '-1', '65536', '3000.5', '80 80'])('refuses PORT=%s', (port) => {
      expect(problemsOf({ ...SERVER, PORT: port })).toEqual([expect.stringMatching(/^PORT must be an integer/)]);
    });

    it('reads PORT and derives the default public URL from it', () => {
      expect(loadConfig({ ...SERVER, PORT: '8080' })).toMatchObject({ port: 8080, publicUrl: 'http://localhost:8080' });
    });

    it('strips a trailing slash from PUBLIC_URL and refuses a non-http one', () => {
      expect(loadConfig({ ...SERVER, PUBLIC_URL: 'https://referloop.example/' })).toMatchObject({
        publicUrl: 'https://referloop.example',
        publicUrlConfigured: true,
      });
      expect(problemsOf({ ...SERVER, PUBLIC_URL: 'ftp://referloop.example' })).toEqual([expect.stringMatching(/^PUBLIC_URL/)]);
    });

    it('reads CORS_ORIGINS as a trimmed list of bare origins', () => {
      const config = loadConfig({ ...SERVER, CORS_ORIGINS: ' https://app.example.com , http://localhost:5173,' });
      expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    });

    it.each([
      ['with a path', 'https://app.example.com/app'],
      ['with a trailing slash', 'https://app.example.com/'],
      ['that is not a URL', 'app.example.com'],
    ])('refuses a CORS origin %s', (_label, origin) => {
      expect(problemsOf({ ...SERVER, CORS_ORIGINS: `https://ok.example.com,${origin}` })).toEqual([
        expect.stringContaining(`CORS_ORIGINS entry "${origin}"`),
      ]);
    });

    it('reads the operator credential, set together, and names the renamed variables', () => {
      expect(loadConfig(SERVER).operator).toBeUndefined();
      expect(loadConfig({ ...SERVER, OPERATOR_USER: 'ops', OPERATOR_PASSWORD: 'operator-secret-1' }).operator).toEqual({
        user: 'ops',
        password: 'operator-secret-1',
      });
      expect(problemsOf({ ...SERVER, OPERATOR_USER: 'ops' })).toEqual([
        'OPERATOR_USER and OPERATOR_PASSWORD must be set together',
      ]);
      expect(problemsOf({ ...SERVER, OPERATOR_USER: 'ops', OPERATOR_PASSWORD: 'short' })).toEqual([
        'OPERATOR_PASSWORD must be at least 12 characters',
      ]);
      expect(problemsOf({ ...SERVER, QUEUE_DASHBOARD_USER: 'ops' })).toEqual([
        'QUEUE_DASHBOARD_USER was renamed: set OPERATOR_USER',
      ]);
    });

    it('refuses access tokens that live longer than 15 minutes', () => {
      expect(problemsOf({ ...SERVER, ACCESS_TOKEN_TTL_SECONDS: '3600' })).toEqual([
        expect.stringMatching(/^ACCESS_TOKEN_TTL_SECONDS must be an integer between 30 and 900/),
      ]);
      expect(loadConfig({ ...SERVER, ACCESS_TOKEN_TTL_SECONDS: '300' }).jwt.accessTtlSeconds).toBe(300);
    });

    it.each([
      ['LOG_LEVEL', 'loud'],
      ['QUEUE_PREFIX', 'Bad-Prefix'],
      ['PASSWORD_HASH_MEMORY_KIB', '1024'],
      ['AUTH_RATE_LIMIT_PER_MINUTE', '0'],
      ['DATABASE_POOL_SIZE', '0'],
      ['DATABASE_POOL_WAIT', '5'],
      ['HOST', 'not-a-host!'],
      ['EMAIL_FROM', 'notanemail'],
      ['EMAIL_FROM', 'Clinic <no address>'],
      ['WEBHOOK_ALLOWED_HOSTS', 'a b'],
      ['WEBHOOK_ALLOWED_HOSTS', 'hooks.example.com,http://x'],
    ])('refuses %s=%s', (name, value) => {
      expect(problemsOf({ ...SERVER, [name]: value })).toEqual([expect.stringContaining(name)]);
    });

    it('reports every problem at once', () => {
      const problems = problemsOf({
        DATABASE_URL: 'mysql://x/y',
        PORT: 'abc',
        ACCESS_TOKEN_TTL_SECONDS: '3600',
        CORS_ORIGINS: 'https://a.example/path',
      });
      expect(problems.join('\n')).toEqual(expect.stringContaining('DATABASE_URL'));
      for (const name of ['PORT', 'ACCESS_TOKEN_TTL_SECONDS', 'CORS_ORIGINS', 'JWT_SECRET']) {
        expect(problems.some((p) => p.includes(name))).toBe(true);
      }
    });

    it.each([
      ['HOST', '0.0.0.0'],
      ['HOST', '::1'],
      ['HOST', 'api.internal'],
      ['EMAIL_FROM', 'no-reply@clinic.example'],
      ['EMAIL_FROM', 'Sunrise Massage <no-reply@clinic.example>'],
      ['WEBHOOK_ALLOWED_HOSTS', '127.0.0.1, hooks.internal,[::1]'],
    ])('takes %s=%s', (name, value) => {
      expect(() => loadConfig({ ...SERVER, [name]: value })).not.toThrow();
    });

    it('treats blank variables as unset', () => {
      expect(loadConfig({ ...SERVER, PORT: '  ', LOG_LEVEL: '' })).toMatchObject({ port: 3000, logLevel: 'info' });
    });
  });

  describe('embedded mode (no DATABASE_URL)', () => {
    let dataDir: string;
    beforeEach(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'referloop-config-test-'));
    });
    afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

    it('needs no secret: it generates one into DATA_DIR, private to the owner, and reuses it', () => {
      const first = loadConfig({ DATA_DIR: dataDir });
      expect(first).toMatchObject({ mode: 'embedded', dataDir, host: '127.0.0.1', databaseUrl: undefined, redisUrl: undefined });
      expect(first.jwt.secret.length).toBeGreaterThanOrEqual(32);
      const file = join(dataDir, 'jwt-secret');
      expect(readFileSync(file, 'utf8').trim()).toBe(first.jwt.secret);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const second = loadConfig({ DATA_DIR: dataDir });
      expect(second.jwt.secret).toBe(first.jwt.secret);
    });

    it('links to where the start-up message points: 127.0.0.1 (a different host name is another site to a browser)', () => {
      expect(loadConfig({ DATA_DIR: dataDir, PORT: '3104' }).publicUrl).toBe('http://127.0.0.1:3104');
      expect(loadConfig({ DATA_DIR: dataDir, HOST: '0.0.0.0' }).publicUrl).toBe('http://127.0.0.1:3000');
      expect(loadConfig({ DATA_DIR: dataDir, HOST: '::1' }).publicUrl).toBe('http://[::1]:3000');
      expect(loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'https://rl.example.com' }).publicUrl).toBe('https://rl.example.com');
    });

    it('refuses a DATA_DIR that is a file, naming it', () => {
      const file = join(dataDir, 'a-file');
      writeFileSync(file, 'x');
      expect(problemsOf({ DATA_DIR: file })).toEqual([expect.stringContaining('DATA_DIR')]);
    });

    it('creates a DATA_DIR that does not exist yet', () => {
      const nested = join(dataDir, 'a', 'b');
      const config = loadConfig({ DATA_DIR: nested });
      expect(readFileSync(join(nested, 'jwt-secret'), 'utf8').trim()).toBe(config.jwt.secret);
    });

    it('generates different secrets for different data folders', () => {
      const other = mkdtempSync(join(tmpdir(), 'referloop-config-test-'));
      try {
        expect(loadConfig({ DATA_DIR: other }).jwt.secret).not.toBe(loadConfig({ DATA_DIR: dataDir }).jwt.secret);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('uses a JWT_SECRET when one is given, and writes nothing', () => {
      const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SERVER.JWT_SECRET });
      expect(config.jwt.secret).toBe(SERVER.JWT_SECRET);
      expect(() => statSync(join(dataDir, 'jwt-secret'))).toThrow();
    });

    it('sends emails to the trial mailbox without SMTP_URL, and never in server mode', () => {
      expect(loadConfig({ DATA_DIR: dataDir }).notifications.trialMailbox).toBe(true);
      expect(loadConfig({ DATA_DIR: dataDir, SMTP_URL: 'smtp://mail.internal:25' }).notifications.trialMailbox).toBe(false);
      expect(loadConfig(SERVER).notifications.trialMailbox).toBe(false);
    });

    it('makes a new DATA_DIR private to its owner (secrets, the database password, the trial mailbox)', () => {
      const nested = join(dataDir, 'fresh');
      loadConfig({ DATA_DIR: nested });
      expect(statSync(nested).mode & 0o777).toBe(0o700);
    });

    it('still validates the other variables', () => {
      expect(problemsOf({ DATA_DIR: dataDir, PORT: 'abc' })).toEqual([expect.stringMatching(/^PORT/)]);
      expect(() => statSync(join(dataDir, 'jwt-secret'))).toThrow();
    });
  });
});
