import express from 'express';
import { errorHandler, health, notFound, requestLogger, type Subscriber } from 'event-bus/client';
import type { Logger } from 'pino';

export interface Deps {
  subscriber: Subscriber;
  logger: Logger;
}

/** Moderation has no public API: it hears events and answers with verdicts. */
export function createApp({ subscriber, logger }: Deps) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every body costs more than it saves here
  app.use(health(() => subscriber.ready));
  app.use(subscriber.router()); // the bus's deliveries: logged by the SDK when they fail
  app.use(requestLogger(logger));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
