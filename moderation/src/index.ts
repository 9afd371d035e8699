import './tracing';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { busConfig, connectBus } from '@posts/bus-client';
import { createLogger, env, loadConfig, runService, z } from '@posts/kit';
import { createApp } from './app';
import { handlers, react } from './events';
import { createModerator } from './moderate';
import { createStore } from './store';

const config = loadConfig(
  'moderation',
  z.object({
    PORT: env.port(4003),
    METRICS_PORT: env.metricsPort(),
    HOST: env.host(),
    LOG_LEVEL: env.logLevel(),
    ...busConfig('http://event-bus-srv:4005'),
    BANNED_WORDS: env.list(['orange']),
  }),
);

const logger = createLogger('moderation', config.LOG_LEVEL);
const bus = connectBus(config, { logger });
const store = createStore();
const moderate = createModerator(config.BANNED_WORDS);
const subscriber = bus.subscribe({ handlers: handlers(store), react: react(bus, store, moderate), logger });

runService(createApp({ subscriber, logger }), {
  name: 'moderation',
  metricsPort: config.METRICS_PORT,
  port: config.PORT,
  host: config.HOST,
  logger,
  start: () => subscriber.start(),
  failure: subscriber.failure,
  drain: () => subscriber.stop(),
});
