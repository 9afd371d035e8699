// What the end-to-end suites share: waiting, the read model's shape, the writers, the system's start,
// talking to the bus with its secret, and what running on JetStream needs.
export * from './bus';
export * from './jetstream';
export * from './postgres';
export * from './prometheus';
export * from './read-model';
export * from './settled';
export * from './system';
export * from './wait';
export * from './writers';
