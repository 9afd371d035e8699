/** `npm run test:faults`: the whole system under faults and load (slower; run by .ci/run). */
module.exports = require('./jest.suites')('faults', ['faults.test.ts', 'load.test.ts'], { maxWorkers: 1, testTimeout: 300_000 });
