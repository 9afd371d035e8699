/** Component tests run in jsdom; server tests opt into node with a docblock. Type checking is `npm run typecheck`. */
module.exports = require('../jest.workspace')('client', __dirname, {
  testEnvironment: 'jsdom',
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
});
