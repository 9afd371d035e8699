import type { Subscriber } from '@posts/bus-client';
import { createServiceApp, type Logger } from '@posts/kit';
import type { Live } from './live';
import { queryRoutes } from './routes';
import type { Store } from './store';

export interface Deps {
  subscriber: Subscriber;
  store: Store;
  live: Live;
  logger: Logger;
  corsOrigins?: string[];
}

export function createApp({ subscriber, store, live, logger, corsOrigins }: Deps) {
  return createServiceApp({ logger, isReady: () => subscriber.ready, internal: [subscriber], routes: [queryRoutes(store, live)], corsOrigins });
}
