import cors from 'cors';
import express from 'express';
import { errorHandler, health, notFound, requestLogger, type Bus, type Subscriber } from 'event-bus/client';
import type { Logger } from 'pino';
import { postRoutes } from './routes';
import type { Store } from './store';

export interface Deps {
  bus: Bus;
  subscriber: Subscriber;
  store: Store;
  logger: Logger;
  corsOrigins?: string[];
}

export function createApp({ bus, subscriber, store, logger, corsOrigins = [] }: Deps) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every body costs more than it saves here
  app.use(health(() => subscriber.ready));
  app.use(subscriber.router()); // the bus's deliveries: logged by the SDK when they fail
  app.use(requestLogger(logger));
  if (corsOrigins.length > 0) app.use(cors({ origin: corsOrigins })); // same-origin by default: no work per request
  app.use(postRoutes(bus, store));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
