// The JetStream transport: the log as a NATS JetStream stream. Importing it registers `nats:` with the SDK's
// connectBus; credentials travel in the URL (nats://user:pass@host:4222,…), NATS logins standing in for BUS_SECRET.
import { registerTransport } from '@posts/bus-client';
import { JetStreamTransport } from './jetstream-transport';

registerTransport({
  schemes: ['nats:'],
  servers: 'many',
  create: (url, { logger, service }) => new JetStreamTransport(url, { logger, consumerPrefix: service }),
});

export { JetStreamTransport, type JetStreamTransportOptions } from './jetstream-transport';
