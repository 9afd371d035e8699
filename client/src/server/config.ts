export interface Config {
  host: string;
  port: number;
}

/** Reads the environment once; a bad value throws a message that says what to fix. */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const rawPort = env.PORT?.trim() || '3000';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, got "${env.PORT}"`);
  }
  return { host: env.HOST?.trim() || '0.0.0.0', port };
}
