import type { Bus, Subscriber } from '@posts/bus-client';
import { createServiceApp, type Logger } from '@posts/kit';
import { commentRoutes } from './routes';
import type { Db } from './schema';

export interface Deps {
  bus: Bus;
  subscriber: Subscriber;
  db: Db;
  logger: Logger;
  corsOrigins?: string[];
}

export function createApp({ bus, subscriber, db, logger, corsOrigins }: Deps) {
  return createServiceApp({ logger, isReady: () => subscriber.ready, internal: [subscriber], routes: [commentRoutes(bus, subscriber, db)], corsOrigins });
}
