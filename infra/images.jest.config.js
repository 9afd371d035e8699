/** `npm run test:images`: carries out a Dockerfile's steps in a temporary folder and starts the result (slow; needs the npm registry). */
module.exports = {
  displayName: 'images',
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/image-test'],
  testTimeout: 600000,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
};
