// What the end-to-end suites share: waiting, the read model's shape, the writers, the system's start,
// and talking to the bus with its secret.
export * from './bus';
export * from './read-model';
export * from './system';
export * from './wait';
export * from './writers';
