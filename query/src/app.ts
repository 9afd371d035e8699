import type { Subscriber } from '@posts/bus-client';
import { createServiceApp, type Logger } from '@posts/kit';
import type { Live } from './live';
import type { ReadModel } from './model';
import { queryRoutes } from './routes';

export interface Deps {
  subscriber: Subscriber;
  model: Pick<ReadModel, 'db' | 'seq'>;
  live: Live;
  logger: Logger;
  corsOrigins?: string[];
}

export function createApp({ subscriber, model, live, logger, corsOrigins }: Deps) {
  return createServiceApp({ logger, isReady: () => subscriber.ready, internal: [subscriber], routes: [queryRoutes(model, live)], corsOrigins });
}
