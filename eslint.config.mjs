import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * The root 'googleapis' module declares every Google API: three million lines of types that tsc
 * and ESLint's type-checked program would parse on every run (ESLint 125 → 34 CPU seconds
 * without it). Drive's own module has everything rollcall uses.
 */
const onlyDriveFromGoogleapis = {
  name: 'googleapis',
  message: "Import Drive's module, 'googleapis/build/src/apis/drive'.",
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      '.bench-build/**',
      '.chaos-build/**',
      '.examples-build/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'eslint.config.mjs',
      'jest.config.js',
      // Part of jest.config.js (a Babel plugin Jest's workers load by path).
      'test/support/babel-rename-esm-require.cjs',
      '.dependency-cruiser.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
    },
  },
  {
    // Only src/platform/ knows the HTTP platform; everything else speaks Nest, so that
    // HTTP_ADAPTER can pick either (docs/operations.md, "HTTP platform").
    files: ['src/**/*.ts'],
    ignores: ['src/platform/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [onlyDriveFromGoogleapis],
          patterns: [
            {
              group: ['express', 'express/*', 'fastify', 'fastify/*', '@fastify/*'],
              message: 'Only src/platform/ may use the HTTP platform.',
            },
            {
              group: ['@nestjs/platform-express', '@nestjs/platform-fastify'],
              message: 'Only src/platform/ may use the HTTP platform.',
            },
          ],
        },
      ],
    },
  },
  {
    // The SDK is the package's library entry: an application that imports it must not pull in
    // Nest or the server, so it may use Node's built-ins and its own files only.
    files: ['src/sdk/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!node:|\\./)',
              message: 'src/sdk/ uses only node: built-ins and its own files.',
            },
          ],
        },
      ],
    },
  },
  {
    // Small functions (the team's standard, issue 14.3): one that needs more than 80 lines of
    // code does more than one thing.
    files: ['src/**/*.ts', 'src/**/*.js'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // The dashboard's browser code is JavaScript that tsc checks with the browser's types
    // (src/dashboard/public/tsconfig.json): tsc, not this rule, knows `document` and `fetch`.
    files: ['src/dashboard/public/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'chaos/**/*.ts', 'examples/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [onlyDriveFromGoogleapis] }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  prettier,
);
