import './tracing';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { connectBus, runSubscribedService, serviceConfig } from '@posts/bus-client';
import { createLogger, env, loadConfig } from '@posts/kit';
import { createApp } from './app';
import { handlers } from './events';
import { createStore } from './store';

const config = loadConfig('posts', serviceConfig(4000, { CORS_ORIGINS: env.list([]) }));
const logger = createLogger('posts', config.LOG_LEVEL);
const bus = connectBus(config, { logger });
const store = createStore();
const subscriber = bus.subscribe({ handlers: handlers(store), logger });
const app = createApp({ bus, subscriber, store, logger, corsOrigins: config.CORS_ORIGINS });

runSubscribedService(app, { name: 'posts', config, logger, subscriber });
