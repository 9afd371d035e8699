import { isLogLevel, LOG_LEVELS, type LogLevel } from './log';

export interface Config {
  host: string;
  port: number;
  logLevel: LogLevel;
}

/** Reads the environment once; a bad value throws a message that says what to fix. */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const rawPort = env.PORT?.trim() || '3000';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, got "${env.PORT}"`);
  }
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!isLogLevel(logLevel)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return { host: env.HOST?.trim() || '0.0.0.0', port, logLevel };
}
