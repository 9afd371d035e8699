/** The system test and the bad input suite: the whole system as `npm start` runs it (part of `npm test`). */
module.exports = require('./jest.suites')('system', ['system.test.ts', 'bad-input.test.ts'], { testTimeout: 120_000 });
