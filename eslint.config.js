// One lint configuration for the monorepo. Type-aware rules catch floating promises;
// packages/shared is held to "pure model": no network, disk, DOM or Node built-ins.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbiddenInShared = [
  'ws',
  'idb',
  'y-websocket',
  'react',
  'react-dom',
  'better-sqlite3',
  'pg',
  'ioredis',
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      '**/test-results/**',
      'apps/web/public/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: {
        projectService: {},
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['packages/shared/src/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenInShared.map((name) => ({
            name,
            message: '@concord/shared is pure: no I/O.',
          })),
          patterns: [{ group: ['node:*'], message: '@concord/shared is pure: no Node built-ins.' }],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...[
          'window',
          'document',
          'indexedDB',
          'localStorage',
          'fetch',
          'WebSocket',
          'navigator',
          'process',
          'require',
        ].map((name) => ({
          name,
          message: '@concord/shared is pure: no DOM, network or process globals.',
        })),
      ],
    },
  },
);
