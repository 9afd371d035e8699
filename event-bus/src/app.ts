import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignatureGuard } from '@posts/bus-client/signing';
import { createServiceApp, type Logger } from '@posts/kit';
import type { Express } from 'express';
import type { Delivery } from './delivery';
import type { EventLog } from './log';
import { watchBus } from './metrics';
import { Publishes } from './publish';
import { eventRoutes } from './routes';

/** Express's own entry for every request, which it does not type. */
type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export interface Deps {
  log: EventLog;
  deliveries: Delivery[];
  logger: Logger;
  /** Who may publish and read: with a secret, only its holders (default: anyone, open mode). */
  guard?: SignatureGuard;
}

export function createApp({ log, deliveries, logger, guard = new SignatureGuard(undefined) }: Deps): Express {
  const publishes = new Publishes(log, guard);
  watchBus(log, deliveries);
  // The log's routes are internal traffic, unlogged: publishing is the hot path, and events carry their request ids.
  const app = createServiceApp({ logger, isReady: () => true, internal: [eventRoutes(log, deliveries, guard, publishes)] }) as Express & { handle: Handle };
  // Every request reaches Express through app.handle (app.listen, supertest): a plain publish is taken before its router.
  const handle = app.handle;
  app.handle = (req, res, next) => {
    const express = () => handle.call(app, req, res, next);
    if (!publishes.take(req, res, express)) express();
  };
  return app;
}
