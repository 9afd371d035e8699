import { connect, createLogger, env, loadConfig, serve, z } from 'event-bus/client';
import { createApp } from './app';
import { handlers } from './events';
import { createStore } from './store';

const config = loadConfig(
  'query',
  z.object({
    PORT: env.port(4002),
    HOST: env.host(),
    LOG_LEVEL: env.logLevel(),
    EVENT_BUS_URL: env.url('http://event-bus-srv:4005'),
    CORS_ORIGINS: env.list([]),
  }),
);

const logger = createLogger('query', config.LOG_LEVEL);
const store = createStore();
const subscriber = connect(config.EVENT_BUS_URL, { logger }).subscribe({ handlers: handlers(store), logger });
const app = createApp({ subscriber, store, logger, corsOrigins: config.CORS_ORIGINS });

serve(app, { port: config.PORT, host: config.HOST, logger, drain: () => subscriber.stop() }).then(() => subscriber.start());
