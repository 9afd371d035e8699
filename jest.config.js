/** `npm test`: every workspace's tests, the tooling's, the manifests' and the system test, in one run. */
module.exports = {
  projects: [
    '<rootDir>/lib/kit',
    '<rootDir>/lib/contracts',
    '<rootDir>/lib/bus-client',
    '<rootDir>/lib/bus-http',
    '<rootDir>/lib/bus-jetstream',
    '<rootDir>/lib/db',
    '<rootDir>/event-bus',
    '<rootDir>/posts',
    '<rootDir>/comments',
    '<rootDir>/query',
    '<rootDir>/moderation',
    '<rootDir>/client',
    '<rootDir>/scripts/runtime',
    '<rootDir>/scripts/bench',
    '<rootDir>/scripts/ops',
    '<rootDir>/infra',
    '<rootDir>/e2e',
  ],
};
