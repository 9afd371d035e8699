import { SignatureGuard } from '@posts/bus-http';
import { createServiceApp, type Logger } from '@posts/kit';
import type { Express } from 'express';
import type { Delivery } from './delivery';
import type { EventLog } from './log';
import { watchBus } from './metrics';
import { eventRoutes } from './routes';

export interface Deps {
  log: EventLog;
  deliveries: Delivery[];
  logger: Logger;
  /** Who may publish and read: with a secret, only its holders (default: anyone, open mode). */
  guard?: SignatureGuard;
}

export function createApp({ log, deliveries, logger, guard = new SignatureGuard(undefined) }: Deps): Express {
  watchBus(log, deliveries);
  // The log's routes are internal traffic, unlogged: publishing is the hot path, and events carry their request ids.
  return createServiceApp({ logger, isReady: () => true, internal: [eventRoutes(log, deliveries, guard)] });
}
