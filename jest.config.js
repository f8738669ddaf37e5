/**
 * Two projects: fast in-process unit tests, and e2e tests that start real nodes.
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
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-setup.ts'],
    },
  ],
};
