import type { Bus, Subscriber } from '@posts/bus-client';
import { createServiceApp, type Logger } from '@posts/kit';
import { postRoutes } from './routes';
import type { Store } from './store';

export interface Deps {
  bus: Bus;
  subscriber: Subscriber;
  store: Store;
  logger: Logger;
  corsOrigins?: string[];
}

export function createApp({ bus, subscriber, store, logger, corsOrigins }: Deps) {
  return createServiceApp({ logger, isReady: () => subscriber.ready, internal: [subscriber], routes: [postRoutes(bus, store)], corsOrigins });
}
