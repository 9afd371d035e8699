/** `npm run test:faults`: the whole system under faults and load (slower; run by .ci/run). */
module.exports = {
  displayName: 'faults',
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/faults.test.ts', '<rootDir>/load.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  maxWorkers: 1,
  testTimeout: 300_000,
};
