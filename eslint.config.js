// @ts-check
// ESLint flat config: eslint's and typescript-eslint's recommended rules (no type information, so it stays fast).
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
  tseslint.configs.recommended,
  {
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
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
