import './tracing';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { connectBus, runSubscribedService, serviceConfig } from '@posts/bus-client';
import { createLogger, env, loadConfig } from '@posts/kit';
import { createApp } from './app';
import { handlers, react } from './events';
import { createModerator } from './moderate';
import { createStore } from './store';

const config = loadConfig('moderation', serviceConfig(4003, { BANNED_WORDS: env.list(['orange']) }));
const logger = createLogger('moderation', config.LOG_LEVEL);
const bus = connectBus(config, { logger });
const store = createStore();
const moderate = createModerator(config.BANNED_WORDS);
const subscriber = bus.subscribe({ handlers: handlers(store), react: react(bus, store, moderate), logger });

runSubscribedService(createApp({ subscriber, logger }), { name: 'moderation', config, logger, subscriber });
