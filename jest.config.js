// Three tiers: unit (*.spec.ts, no I/O), integration (*.int-spec.ts, real PostgreSQL/Redis),
// e2e (test/*.e2e-spec.ts, the whole app over HTTP). Each file that touches data gets its own
// database cloned from a migrated template, so files run in parallel.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

// Nest 12 and some of its dependencies are ES modules. Node 20 can require() them, Jest's module
// loader cannot (it needs Node 24.9+), so every ES-module package is compiled to CommonJS like
// our own sources. The list is read from node_modules so it never drifts from the lockfile.
function esmPackages(dir = join(__dirname, 'node_modules')) {
  const names = [];
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      for (const scoped of esmPackages(join(dir, entry))) names.push(`${entry}/${scoped}`);
      continue;
    }
    try {
      if (JSON.parse(readFileSync(join(dir, entry, 'package.json'), 'utf8')).type === 'module') names.push(entry);
    } catch {
      // not a package folder
    }
  }
  return names;
}
const escapeRegExp = (name) => name.replace(/[.+]/g, '\\$&');

const shared = {
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages().map(escapeRegExp).join('|')})/)`],
  moduleNameMapper: {
    '^@referloop/([a-z-]+)$': '<rootDir>/libs/$1/src',
    '^@referloop/([a-z-]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
  },
  testEnvironment: 'node',
  rootDir: __dirname,
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
    },
    {
      ...shared,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
    },
  ],
  testTimeout: 30_000,
};
