import './tracing';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { connectBus, runSubscribedService, serviceConfig } from '@posts/bus-client';
import { databaseConfig, openProjection } from '@posts/db';
import { createLogger, env, loadConfig } from '@posts/kit';
import { createApp } from './app';
import { handlers } from './events';
import { migrations } from './migrations';
import type { Schema } from './schema';

const config = loadConfig('posts', serviceConfig(4000, { CORS_ORIGINS: env.list([]), ...databaseConfig() }));
const logger = createLogger('posts', config.LOG_LEVEL);
const bus = connectBus(config, { logger });
const projection = openProjection<Schema>(config, { migrations, logger });
const subscriber = bus.subscribe({ handlers, state: projection.state, logger });
const app = createApp({ bus, subscriber, db: projection.db, logger, corsOrigins: config.CORS_ORIGINS });

runSubscribedService(app, { name: 'posts', config, logger, subscriber, projection });
