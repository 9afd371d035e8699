/** `npm run test:browser`: the built system, as `npm start` runs it, driven by headless Chromium. */
module.exports = {
  displayName: 'browser',
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/browser.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  // npm start builds before it starts; so does this, so the test never runs yesterday's dist/.
  globalSetup: '<rootDir>/browser.setup.js',
  testTimeout: 240_000,
};
