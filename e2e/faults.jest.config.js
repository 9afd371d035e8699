/** `npm run test:faults`: the whole system under faults and load, on the event bus and on NATS JetStream (slower; run by .ci/run). */
module.exports = require('./jest.suites')(
  'faults',
  ['faults.test.ts', 'faults-postgres.test.ts', 'faults-disk.test.ts', 'load.test.ts', 'faults-jetstream.test.ts'],
  {
    maxWorkers: 1,
    testTimeout: 300_000,
  },
);
