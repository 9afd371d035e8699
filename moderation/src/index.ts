import './tracing';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { connectBus, runSubscribedService, serviceConfig } from '@posts/bus-client';
import { databaseConfig, openProjection } from '@posts/db';
import { createLogger, env, loadConfig } from '@posts/kit';
import { createApp } from './app';
import { handlers, react } from './events';
import { createModerator } from './moderate';
import { migrations } from './migrations';
import type { Schema } from './schema';

const config = loadConfig('moderation', serviceConfig(4003, { BANNED_WORDS: env.list(['orange']), ...databaseConfig() }));
const logger = createLogger('moderation', config.LOG_LEVEL);
const bus = connectBus(config, { logger });
const projection = openProjection<Schema>(config, { migrations, logger });
const moderate = createModerator(config.BANNED_WORDS);
const subscriber = bus.subscribe({ handlers, state: projection.state, react: react(bus, projection.db, moderate), logger });

runSubscribedService(createApp({ subscriber, logger }), { name: 'moderation', config, logger, subscriber, projection });
