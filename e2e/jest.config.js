/** The system test, the state, the bad input, forgery, JetStream, tracing and metrics suites: the whole system as `npm start` runs it (part of `npm test`). */
module.exports = require('./jest.suites')(
  'system',
  ['system.test.ts', 'state.test.ts', 'bad-input.test.ts', 'forgery.test.ts', 'jetstream.test.ts', 'tracing.test.ts', 'metrics.test.ts'],
  { testTimeout: 120_000 },
);
