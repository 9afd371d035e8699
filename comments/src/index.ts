import './tracing';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { busConfig, connectBus } from '@posts/bus-client';
import { createLogger, env, loadConfig, runService, z } from '@posts/kit';
import { createApp } from './app';
import { handlers, react } from './events';
import { createStore } from './store';

const config = loadConfig(
  'comments',
  z.object({
    PORT: env.port(4001),
    METRICS_PORT: env.metricsPort(),
    HOST: env.host(),
    LOG_LEVEL: env.logLevel(),
    ...busConfig('http://event-bus-srv:4005'),
    CORS_ORIGINS: env.list([]),
  }),
);

const logger = createLogger('comments', config.LOG_LEVEL);
const bus = connectBus(config, { logger });
const store = createStore();
const subscriber = bus.subscribe({ handlers: handlers(store), react: react(bus, store), logger });
const app = createApp({ bus, subscriber, store, logger, corsOrigins: config.CORS_ORIGINS });

runService(app, {
  name: 'comments',
  metricsPort: config.METRICS_PORT,
  port: config.PORT,
  host: config.HOST,
  logger,
  start: () => subscriber.start(),
  failure: subscriber.failure,
  drain: () => subscriber.stop(),
});
