import './tracing';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { connectBus, runSubscribedService, serviceConfig } from '@posts/bus-client';
import { databaseConfig, openProjection } from '@posts/db';
import { createLogger, env, loadConfig } from '@posts/kit';
import { createApp } from './app';
import { handlers, react } from './events';
import { migrations } from './migrations';
import type { Schema } from './schema';

const config = loadConfig('comments', serviceConfig(4001, { CORS_ORIGINS: env.list([]), ...databaseConfig() }));
const logger = createLogger('comments', config.LOG_LEVEL);
const bus = connectBus(config, { logger });
const projection = openProjection<Schema>(config, { migrations, logger });
const subscriber = bus.subscribe({ handlers, state: projection.state, react: react(bus, projection.db), logger });
const app = createApp({ bus, subscriber, db: projection.db, logger, corsOrigins: config.CORS_ORIGINS });

runSubscribedService(app, { name: 'comments', config, logger, subscriber, projection });
