/**
 * Every workspace's jest config: the TypeScript sources run as they are, and the shared
 * libraries and the bus's test helper are read from their sources, so no build is needed first.
 */
const path = require('node:path');

module.exports = (displayName, dir, overrides = {}) => ({
  displayName,
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
  moduleNameMapper: {
    '^@posts/(kit|contracts|bus-client|bus-http|bus-jetstream|db)$': path.join(__dirname, 'lib/$1/src/index.ts'),
    '^@posts/kit/tracing$': path.join(__dirname, 'lib/kit/src/tracing.ts'),
    '^@posts/kit/testing$': path.join(__dirname, 'lib/kit/src/testing.ts'),
    '^@posts/bus-http/delivery-route$': path.join(__dirname, 'lib/bus-http/src/delivery-route.ts'),
    '^@posts/bus-client/testing$': path.join(__dirname, 'lib/bus-client/src/testing.ts'),
    '^@posts/db/testing$': path.join(__dirname, 'lib/db/src/testing.ts'),
    '^@posts/contracts/testing$': path.join(__dirname, 'lib/contracts/src/testing.ts'),
    '^event-bus/testing$': path.join(__dirname, 'event-bus/src/testing.ts'),
  },
  rootDir: dir,
  ...overrides,
});
