// One jest configuration for every tier: *.spec.ts (pure), *.int.spec.ts (real Postgres and NATS),
// *.e2e.spec.ts (the running system through its HTTP APIs and real SDK clients). `npm test` runs
// them all; SLUICE_TEST_TIER=unit|int|e2e (set by `npm run test:unit` …) narrows the run, and the
// unit tier needs no build, no Postgres and no NATS. The compose tier (`npm run test:compose`) runs
// the black-box suite and the *.compose.spec.ts checks against the compose stack the runner started.
const { readFileSync } = require('node:fs');
const swc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.$schema;

const tier = process.env.SLUICE_TEST_TIER ?? 'all';
const testMatch = {
  all: ['**/*.spec.ts', '!**/*.compose.spec.ts'],
  unit: ['**/*.spec.ts', '!**/*.int.spec.ts', '!**/*.e2e.spec.ts', '!**/*.compose.spec.ts'],
  int: ['**/*.int.spec.ts'],
  e2e: ['**/*.e2e.spec.ts'],
  compose: ['**/black-box.e2e.spec.ts', '**/*.compose.spec.ts'],
}[tier];
const needsInfrastructure = tier !== 'unit' && tier !== 'compose';

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/services', '<rootDir>/e2e'],
  testMatch,
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false, sourceMaps: 'inline' }] },
  moduleNameMapper: { '^@sluice/([^/]+)$': ['<rootDir>/libs/$1/src/index.ts', '<rootDir>/apps/$1/src/index.ts'] },
  setupFiles: ['reflect-metadata'],
  ...(needsInfrastructure && {
    globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
    globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
  }),
  testTimeout: 30000,
  maxWorkers: 2,
};
