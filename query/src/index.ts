import './tracing';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { connectBus, runSubscribedService, serviceConfig } from '@posts/bus-client';
import { createLogger, env, loadConfig } from '@posts/kit';
import { createApp } from './app';
import { handlers } from './events';
import { createLive } from './live';
import { createStore } from './store';

const config = loadConfig('query', serviceConfig(4002, { CORS_ORIGINS: env.list([]) }));
const logger = createLogger('query', config.LOG_LEVEL);
const live = createLive();
const store = createStore(live.publish);
const subscriber = connectBus(config, { logger }).subscribe({ handlers: handlers(store), logger });
const app = createApp({ subscriber, store, live, logger, corsOrigins: config.CORS_ORIGINS });

// A live stream never goes idle: it is ended as shutdown begins (its client reconnects to another replica with its Last-Event-ID).
runSubscribedService(app, { name: 'query', config, logger, subscriber, onStop: () => live.close() });
