/** The manifests' and Dockerfiles' checks, part of `npm test` (no Docker engine or cluster needed). */
module.exports = {
  displayName: 'infra',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
};
