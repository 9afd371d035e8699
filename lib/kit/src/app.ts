import cors from 'cors';
import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { errorHandler, notFound } from './errors';
import { health } from './health';
import { requestLogger } from './log';
import { httpMetrics } from './metrics';

/** Something that serves on the service's own server without being one of its routes (a bus transport's deliveries). */
export interface Attachment {
  attach(router: Router): void;
}

export interface ServiceAppOptions {
  logger: Logger;
  /** Whether the service can serve yet: `/readyz`. */
  isReady: () => boolean;
  /** Internal traffic, served before the request log: it is the hot path, and its events carry their own request ids. */
  internal?: Array<Router | Attachment>;
  /** The service's own routes. */
  routes?: Router[];
  /** Origins allowed to call from a browser; none by default (the page is same-origin behind the ingress). */
  corsOrigins?: string[];
}

/** A service's app, its middleware in the one order that is right: timing, health, internal, logged routes, 404, errors. */
export function createServiceApp({ logger, isReady, internal = [], routes = [], corsOrigins = [] }: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every body costs more than it saves here
  app.use(httpMetrics());
  app.use(health(isReady));
  for (const part of internal) {
    if ('attach' in part) {
      const router = express.Router();
      part.attach(router);
      app.use(router);
    } else app.use(part);
  }
  app.use(requestLogger(logger));
  if (corsOrigins.length > 0) app.use(cors({ origin: corsOrigins })); // no work per request when there are none
  for (const router of routes) app.use(router);
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
