/** The system test: real service processes on loopback, driven through their HTTP APIs. */
module.exports = {
  displayName: 'system',
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/system.test.ts', '<rootDir>/bad-input.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testTimeout: 120_000,
};
