// @ts-check
// ESLint flat config: eslint's recommended rules, and typescript-eslint's type-aware ones for TypeScript
// (recommendedTypeChecked through the project service: each file is checked with its own tsconfig).
// TypeScript files need no globals list: typescript-eslint turns `no-undef` off there (tsc checks names, jest's included).
const js = require('@eslint/js');
const { defineConfig } = require('eslint/config');
const tseslint = require('typescript-eslint');

// Globals of the CommonJS scripts Node runs (jest.config.js, bench/**/*.js, this file).
const nodeGlobals = Object.fromEntries(
  `require module exports __dirname __filename process console Buffer global queueMicrotask structuredClone
   setTimeout clearTimeout setInterval clearInterval setImmediate clearImmediate performance crypto
   URL URLSearchParams TextEncoder TextDecoder AbortController AbortSignal Event EventTarget
   fetch Headers Request Response FormData Blob`
    .split(/\s+/)
    .map((name) => [name, 'readonly']),
);

module.exports = defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', '.referloop/', 'test-artifacts/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // supertest's `res.body` and jest's matchers are typed `any`: the no-unsafe-* family would flag every assertion.
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.int-spec.ts', 'libs/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
