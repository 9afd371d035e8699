import express from 'express';
import type { Logger } from 'pino';
import type { Delivery } from './delivery';
import type { EventLog } from './log';
import { eventRoutes } from './routes';
import { errorHandler, health, notFound, requestLogger } from './service';

export interface Deps {
  log: EventLog;
  deliveries: Delivery[];
  logger: Logger;
}

export function createApp({ log, deliveries, logger }: Deps) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every body costs more than it saves here
  app.use(eventRoutes(log, deliveries)); // first, unlogged: publishing is the hot path, and events carry their request ids
  app.use(requestLogger(logger));
  app.use(health(() => true));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
