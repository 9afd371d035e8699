/**
 * What the end-to-end jest configs share: the suites sit in this folder beside support/, and
 * @posts/runtime and the shared libraries run from their sources.
 */
module.exports = (displayName, suites, overrides) =>
  require('../scripts/jest.preset')(displayName, __dirname, {
    roots: ['<rootDir>'],
    testMatch: suites.map((suite) => `<rootDir>/${suite}`),
    transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
    ...overrides,
  });
