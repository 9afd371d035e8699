import './tracing';
import { busSecret } from '@posts/bus-client';
import { RequestSigner, SignatureGuard } from '@posts/bus-http';
import { createApp } from './app';
import { Delivery } from './delivery';
import { EventLog } from './log';
import { createLogger, env, loadConfig, serve, z } from '@posts/kit';

const config = loadConfig(
  'event-bus',
  z.object({
    PORT: env.port(4005),
    METRICS_PORT: env.metricsPort(),
    HOST: env.host(),
    LOG_LEVEL: env.logLevel(),
    SUBSCRIBERS: env.urls([
      'http://posts-srv:4000/events',
      'http://comments-srv:4001/events',
      'http://query-srv:4002/events',
      'http://moderation-srv:4003/events',
    ]),
    EVENT_LOG_PATH: z.string().trim().min(1).optional(),
    BUS_SECRET: busSecret(),
  }),
);

async function main() {
  const logger = createLogger('event-bus', config.LOG_LEVEL);
  const log = config.EVENT_LOG_PATH ? await EventLog.open(config.EVENT_LOG_PATH, { logger }) : EventLog.inMemory();
  logger.info({ events: log.head, file: config.EVENT_LOG_PATH ?? null }, 'event log loaded');
  // Reads and deliveries go on meanwhile; each publish tries the write again.
  log.on('unwritable', (err) => logger.error({ err }, 'cannot write the event log; refusing publishes until a write succeeds'));
  log.on('writable', () => logger.info('the event log can be written again; taking publishes'));

  const signer = config.BUS_SECRET ? new RequestSigner(config.BUS_SECRET) : undefined;
  if (!signer) {
    logger.warn('open mode: BUS_SECRET is not set, so anyone who can reach the bus can publish, read the log, and forge deliveries to its subscribers');
  }
  const guard = new SignatureGuard(signer, logger);
  const deliveries = config.SUBSCRIBERS.map((url) => new Delivery(url, log, logger, { signer }));
  log.on('durable', () => deliveries.forEach((d) => d.kick()));
  deliveries.forEach((d) => d.kick());

  await serve(createApp({ log, deliveries, logger, guard }), {
    port: config.PORT,
    metricsPort: config.METRICS_PORT,
    host: config.HOST,
    logger,
    drain: async () => {
      await Promise.all(deliveries.map((d) => d.stop()));
      await log.close();
    },
  });
}

main().catch((err) => {
  process.stderr.write(`event-bus: ${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
