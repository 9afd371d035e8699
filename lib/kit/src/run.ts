import type { Server, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { stopWithLauncher } from './launcher';
import { serveMetrics } from './metrics';
import { stopTracing } from './tracing';

export interface ServeOptions {
  port: number;
  host: string;
  logger: Logger;
  /** Where `/metrics` is served (METRICS_PORT); none without it. */
  metricsPort?: number;
  /** As SIGTERM stops the server taking requests: end what never goes idle (a live stream), or the drain would wait for it. */
  onStop?: () => void;
  /** After the server stopped taking requests on SIGTERM: finish what the service holds. */
  drain?: () => Promise<void>;
}

/**
 * Listens, and on SIGTERM/SIGINT stops taking requests, lets `drain` finish what the
 * service holds, and exits 0.
 */
export function serve(app: Express, { port, host, logger, metricsPort, onStop, drain }: ServeOptions): Promise<Server> {
  let metrics: Server | undefined;
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (err) return reject(err);
      logger.info({ port, host }, 'listening');
      if (metricsPort === undefined) return resolve(server);
      serveMetrics(metricsPort, host, logger).then((started) => {
        metrics = started;
        resolve(server);
      }, reject);
    });
    server.keepAliveTimeout = 65_000; // longer than the ingress's and the bus's idle timeouts
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        logger.warn('shutdown took too long; exiting');
        process.exit(1);
      }, 10_000);
      force.unref();
      // Keep-alive peers (the ingress, the bus) would hold the server open: answer what is
      // in flight with "Connection: close" and close connections as soon as they are idle.
      // First in line: after the app, a request answered at once has sent its headers already.
      server.prependListener('request', (_req, res: ServerResponse) => res.setHeader('connection', 'close'));
      const closeIdle = setInterval(() => server.closeIdleConnections(), 50);
      metrics?.close();
      metrics?.closeAllConnections();
      server.close(async () => {
        clearInterval(closeIdle);
        try {
          await drain?.();
        } finally {
          await stopTracing(); // the spans of the last requests, and of the drain
          logger.info('stopped');
          process.exit(0);
        }
      });
      server.closeIdleConnections();
      onStop?.();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    stopWithLauncher();
  });
}

export interface RunOptions extends ServeOptions {
  /** The service's name, for the line that says why it could not start. */
  name: string;
  /** Before listening: what must hold before any request is answered (its database's schema). */
  prepare?: () => Promise<void>;
  /** After listening: what makes it ready (catching up with the log). */
  start?: () => Promise<void>;
  /** Settles with an error the service cannot go on from (its log was replaced): it exits 1, for the orchestrator to start it afresh. */
  failure?: Promise<Error>;
}

/** Serves `app`, then starts; a failure to do either (a port in use), or a `failure` later, exits 1 with one clear line. */
export function runService(app: Express, { name, prepare, start, failure, ...serveOptions }: RunOptions): void {
  failure?.then((err) => {
    serveOptions.logger.fatal({ err }, `${name} cannot go on: ${err.message} Exiting, to be started afresh.`);
    process.exit(1);
  });
  Promise.resolve(prepare?.())
    .then(() => serve(app, serveOptions))
    .then(() => start?.())
    .catch((err: unknown) => {
      process.stderr.write(`${name}: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
