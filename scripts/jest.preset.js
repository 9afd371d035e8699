/**
 * The jest config of a tooling folder (and of the end-to-end suites): jest.workspace.js, with
 * @posts/runtime read from its sources too, so no build is needed first.
 */
const path = require('node:path');
const workspace = require('../jest.workspace');

const runtime = path.join(__dirname, 'runtime', 'src');

module.exports = (displayName, dir, overrides = {}) => {
  const config = workspace(displayName, dir, overrides);
  config.moduleNameMapper = {
    ...config.moduleNameMapper,
    '^@posts/runtime$': path.join(runtime, 'index.ts'),
    '^@posts/runtime/(.*)$': path.join(runtime, '$1.ts'),
  };
  return config;
};
