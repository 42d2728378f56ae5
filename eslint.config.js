// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import vitest from '@vitest/eslint-plugin';

const testFiles = ['**/*.test.ts', '**/*.test.mjs', '**/test/**/*.ts'];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '.tools/**', '**/*.d.ts'],
  },
  {
    // A disable comment that no longer suppresses anything is an error, so stale ones do not pile up.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', '*.ts', 'scripts/*.mjs', '.ci/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The admin dashboard's page script runs in browsers, with uPlot loaded by the page before it.
    files: ['packages/plugin-admin/assets/*.js'],
    languageOptions: { globals: { ...globals.browser, uPlot: 'readonly' } },
  },
  {
    // Core's states are typed so that nothing needs `!` (issue 17); tests may still assert what they just set up.
    files: ['packages/core/src/**/*.ts'],
    ignores: testFiles,
    rules: { '@typescript-eslint/no-non-null-assertion': 'error' },
  },
  {
    files: testFiles,
    ...vitest.configs.recommended,
    rules: {
      ...vitest.configs.recommended.rules,
      // Tests assert through helpers too: expectPacket/expectRejected/expectTypeOf…, fast-check's fc.assert,
      // checkFixture/checkDecodes/rejects tables, the stateful fuzzer, and waits that fail on timeout
      // (until, waitFor, RawClient.closed: "the broker closed the connection" is the assertion).
      'vitest/expect-expect': [
        'error',
        {
          assertFunctionNames: [
            'expect',
            'expect*',
            '**.expect*',
            'assert*',
            '**.assert',
            'check*',
            'rejects',
            'fuzz',
            'until',
            'waitFor',
            '**.closed',
            'roundTrip',
            'brokerStillServes',
            'stillWorks',
          ],
        },
      ],
      // `expect(value, 'what failed')`: vitest's second argument is the failure message.
      'vitest/valid-expect': ['error', { maxArgs: 2 }],
      // Table-driven tests (`for (const [name, …] of cases) it(name, …)`) name tests by a variable.
      'vitest/valid-title': ['error', { allowArguments: true }],
      // Model-based property tests and per-row tables assert in the branch the generated input takes
      // (`if (add) expect(set…) else expect(delete…)`); that is their design, not a skipped assertion.
      'vitest/no-conditional-expect': 'off',
    },
  },
);
