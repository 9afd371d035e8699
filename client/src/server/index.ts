import './tracing';
import path from 'node:path';
import { connectBus } from '@posts/bus-client';
import { createLogger, loadConfig, runService } from '@posts/kit';
import { createApp } from './app';
import { configSchema } from './config';
import { ConsoleView } from './console/view';

const config = loadConfig('client', configSchema);
const logger = createLogger('client', config.LOG_LEVEL);
// The console reads the log (never writes to it) when there is one to read.
const bus = config.EVENT_BUS_URL ? connectBus({ EVENT_BUS_URL: config.EVENT_BUS_URL, BUS_SECRET: config.BUS_SECRET }, { logger }) : undefined;
const consoleView = bus && new ConsoleView({ transport: bus.transport, queryUrl: config.QUERY_URL, serviceUrls: config.SERVICE_URLS, logger });
// dist/index.js sits next to dist/public, in the repository and in the image alike.
const app = createApp({ staticDir: path.join(__dirname, 'public'), logger, consoleView });

// The console's streams never go idle: they end as shutdown begins (a page reconnects with its Last-Event-ID).
runService(app, {
  name: 'client',
  port: config.PORT,
  metricsPort: config.METRICS_PORT,
  host: config.HOST,
  logger,
  start: async () => consoleView?.start(),
  onStop: () => void consoleView?.close(),
  drain: async () => bus?.close(),
});
