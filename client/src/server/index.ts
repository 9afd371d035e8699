import path from 'node:path';
import { createLogger, loadConfig, runService } from '@posts/kit';
import { createApp } from './app';
import { configSchema } from './config';

const config = loadConfig('client', configSchema);
const logger = createLogger('client', config.LOG_LEVEL);
// dist/index.js sits next to dist/public, in the repository and in the image alike.
const app = createApp({ staticDir: path.join(__dirname, 'public'), logger });

runService(app, { name: 'client', port: config.PORT, host: config.HOST, logger });
