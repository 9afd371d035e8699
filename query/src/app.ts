import type { Subscriber } from '@posts/bus-client';
import { createServiceApp, type Logger } from '@posts/kit';
import { queryRoutes } from './routes';
import type { Store } from './store';

export interface Deps {
  subscriber: Subscriber;
  store: Store;
  logger: Logger;
  corsOrigins?: string[];
}

export function createApp({ subscriber, store, logger, corsOrigins }: Deps) {
  return createServiceApp({ logger, isReady: () => subscriber.ready, internal: [subscriber], routes: [queryRoutes(store)], corsOrigins });
}
