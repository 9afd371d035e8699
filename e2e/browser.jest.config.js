/** `npm run test:browser`: the built system, as `npm start` runs it, driven by headless Chromium: the blog, and its console. */
module.exports = require('./jest.suites')('browser', ['browser.test.ts', 'console.browser.test.ts'], { testTimeout: 240_000 });
