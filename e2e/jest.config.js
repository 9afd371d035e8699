/** The system test, the bad input suite, the forgery suite and the JetStream suite: the whole system as `npm start` runs it (part of `npm test`). */
module.exports = require('./jest.suites')('system', ['system.test.ts', 'bad-input.test.ts', 'forgery.test.ts', 'jetstream.test.ts'], { testTimeout: 120_000 });
