/** Tests run the TypeScript sources; the bus SDK is read from its source too, so no build is needed first. */
module.exports = {
  displayName: 'posts',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
  moduleNameMapper: { '^event-bus/(client|testing)$': '<rootDir>/../event-bus/src/$1.ts' },
};
