import './tracing';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { connectBus, runSubscribedService, serviceConfig } from '@posts/bus-client';
import { databaseConfig, openProjection } from '@posts/db';
import { createLogger, env, loadConfig } from '@posts/kit';
import { createApp } from './app';
import { handlers } from './events';
import { createLive } from './live';
import { migrations } from './migrations';
import { readModel } from './model';
import type { Schema } from './schema';

const config = loadConfig('query', serviceConfig(4002, { CORS_ORIGINS: env.list([]), ...databaseConfig() }));
const logger = createLogger('query', config.LOG_LEVEL);
const projection = openProjection<Schema>(config, { migrations, logger });
const live = createLive();
const model = readModel(projection, live);
const subscriber = connectBus(config, { logger }).subscribe({ handlers: handlers(model), state: model.state, logger });
const app = createApp({ subscriber, model, live, logger, corsOrigins: config.CORS_ORIGINS });

// A live stream never goes idle: it is ended as shutdown begins (its client reconnects to another replica with its Last-Event-ID).
runSubscribedService(app, { name: 'query', config, logger, subscriber, projection, onStop: () => live.close() });
