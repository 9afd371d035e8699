import path from 'node:path';
import { createApp } from './app';
import { readConfig, type Config } from './config';
import { createLog } from './log';

function main(): void {
  let config: Config;
  try {
    config = readConfig(process.env);
  } catch (error) {
    // No level is known yet, and this line must be seen whatever LOG_LEVEL says.
    createLog('fatal')({ level: 'fatal', msg: `invalid configuration: ${(error as Error).message}` });
    process.exit(1);
  }
  const log = createLog(config.logLevel);

  // dist/index.js sits next to dist/public, in the repository and in the image alike.
  const app = createApp({ staticDir: path.join(__dirname, 'public'), log });
  const server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port; // the real one when PORT=0
    log({ level: 'info', msg: 'listening', host: config.host, port });
  });
  server.on('error', (error) => {
    log({ level: 'fatal', msg: `server error: ${error.message}` });
    process.exit(1);
  });

  let stopping = false;
  function stop(signal: NodeJS.Signals): void {
    if (stopping) return;
    stopping = true;
    log({ level: 'info', msg: 'stopping', signal });
    // close() stops accepting and waits for in-flight requests; idle keep-alive sockets are closed for it.
    server.close((error) => {
      if (error) log({ level: 'error', msg: `close failed: ${error.message}` });
      process.exit(error ? 1 : 0);
    });
    server.closeIdleConnections();
    // A request that never ends must not keep the pod in Terminating forever.
    setTimeout(() => {
      log({ level: 'error', msg: 'in-flight requests did not finish in 10 s; exiting' });
      process.exit(1);
    }, 10_000).unref();
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
