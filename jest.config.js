/**
 * Four projects: fast in-process unit tests, module tests (real Nest modules built with
 * Test.createTestingModule, only their I/O replaced: see docs/testing.md), e2e tests (in-process and real nodes) on the
 * default HTTP platform, Fastify, and `e2e-express`, which runs on Express the specs where the
 * platform shows: the whole HTTP API, the SSE stream, its metrics hook and the API docs, the
 * dashboard's files, and real processes (start, port in use, SIGTERM). The cluster specs talk to
 * the leader the same way on either platform, so running them twice would double the suite's
 * time and test the election twice, not Express.
 *
 * NestJS 12 and a few of its dependencies ship ES modules only. Node 20 can require() them, but
 * Jest's module system cannot, so Babel turns just those packages into CommonJS for the tests.
 */
const ESM_PACKAGES = [
  '@nestjs',
  '@borewit',
  '@tokenizer',
  '@standard-schema',
  'file-type',
  'libphonenumber-js',
  'smol-toml',
  'strtok3',
  'token-types',
  'uint8array-extras',
];
const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', {}],
    '^.+\\.m?js$': [
      'babel-jest',
      {
        babelrc: false,
        configFile: false,
        plugins: [
          require.resolve('./test/support/babel-rename-esm-require.cjs'),
          'babel-plugin-transform-import-meta',
          '@babel/plugin-transform-dynamic-import',
          '@babel/plugin-transform-modules-commonjs',
        ],
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  setupFiles: ['<rootDir>/test/support/quiet-logs.ts'],
};
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'module',
      testMatch: ['<rootDir>/test/module/**/*.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/module-setup.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-setup.ts'],
    },
    {
      ...shared,
      displayName: 'e2e-express',
      testMatch: [
        '<rootDir>/test/e2e/api.e2e-spec.ts',
        '<rootDir>/test/e2e/api-https.e2e-spec.ts',
        '<rootDir>/test/e2e/dashboard-routes.e2e-spec.ts',
        '<rootDir>/test/e2e/metrics.e2e-spec.ts',
        '<rootDir>/test/e2e/openapi.e2e-spec.ts',
        '<rootDir>/test/e2e/node-process.e2e-spec.ts',
        '<rootDir>/test/e2e/http-fuzz.e2e-spec.ts',
        '<rootDir>/test/e2e/http-limits.e2e-spec.ts',
        '<rootDir>/test/e2e/discover-stream.e2e-spec.ts',
      ],
      setupFiles: [...shared.setupFiles, '<rootDir>/test/support/express-adapter-env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-setup.ts'],
    },
  ],
};
