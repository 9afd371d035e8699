// What every service that applies the log starts the same way: its settings, and how it runs.
import type { Express } from 'express';
import { env, runService, z } from '@posts/kit';
import type { Logger } from 'pino';
import { busConfig } from './connect';
import type { Subscriber } from './subscriber';

/** The bus in a cluster: the Service in front of the event bus's pods. */
const EVENT_BUS_URL = 'http://event-bus-srv:4005';

/** A service's config shape: where it listens (by default on `port`), how it logs, where the log is, and its `own` settings. */
export function serviceConfig<Own extends z.ZodRawShape>(port: number, own: Own) {
  return z.object({ PORT: env.port(port), METRICS_PORT: env.metricsPort(), HOST: env.host(), LOG_LEVEL: env.logLevel(), ...busConfig(EVENT_BUS_URL), ...own });
}

export interface SubscribedServiceOptions {
  name: string;
  config: { PORT: number; METRICS_PORT?: number; HOST: string };
  logger: Logger;
  subscriber: Subscriber;
  /** Where the subscriber's state is kept: migrated before the service listens, closed once the subscriber has stopped. */
  projection?: { migrate(): Promise<void>; close(): Promise<void> };
  /** As SIGTERM stops the server taking requests: end what never goes idle (a live stream). */
  onStop?: () => void;
}

/**
 * Serves `app`, then catches up with the log; on SIGTERM stops the subscriber after the last request. A
 * subscriber that cannot go on (its log was replaced) ends the process, to be started afresh from the new log.
 */
export function runSubscribedService(app: Express, { name, config, logger, subscriber, projection, onStop }: SubscribedServiceOptions): void {
  runService(app, {
    name,
    port: config.PORT,
    metricsPort: config.METRICS_PORT,
    host: config.HOST,
    logger,
    prepare: projection && (() => projection.migrate()),
    start: () => subscriber.start(),
    failure: subscriber.failure,
    onStop,
    drain: async () => {
      await subscriber.stop();
      await projection?.close();
    },
  });
}
