// ESLint: typescript-eslint's recommended rules, plus the purity rule of docs/architecture.md for src/core
// (no clock, no randomness: time and seeds are arguments). Import direction and cycles are
// enforced by dependency-cruiser (.dependency-cruiser.cjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impure = 'src/core is pure: pass time and seeds in as arguments (docs/architecture.md)';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/compose-projects/**'] }, // public projects as published: their code is theirs
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', module: 'writable', require: 'readonly', URL: 'readonly', setInterval: 'readonly', setTimeout: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: impure },
        { object: 'Math', property: 'random', message: impure },
        { object: 'performance', property: 'now', message: impure },
        { object: 'process', message: 'src/core has no process environment: pass values in (docs/architecture.md)' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: impure },
        { selector: "CallExpression[callee.name='Date']", message: impure },
      ],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'src/core does no I/O (docs/architecture.md)' }, { name: 'setTimeout', message: impure }, { name: 'setInterval', message: impure }],
    },
  },
);
