import { env, z } from '@posts/kit';

/** The UI server's environment, read once at start by `loadConfig`. */
export const configSchema = z.object({
  PORT: env.port(3000),
  HOST: env.host(),
  LOG_LEVEL: env.logLevel(),
});
