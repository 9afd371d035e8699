import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service } });
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id: from `x-request-id`, or made here. It travels inside the events it causes. */
    id: string;
    log: Logger;
  }
}

/**
 * Gives each request an id (from `x-request-id`, or a new one), echoes it, and logs the
 * request as one JSON line when it finishes. Lighter than a child logger per request.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && given.length > 0 && given.length <= 128 ? given : randomUUID();
    req.log = logger;
    res.setHeader('x-request-id', req.id);
    if (req.url === '/healthz' || req.url === '/readyz') return next();
    const started = performance.now();
    res.on('finish', () => {
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const ms = Math.round((performance.now() - started) * 10) / 10;
      logger[level]({ reqId: req.id, method: req.method, url: req.originalUrl, status: res.statusCode, ms }, 'request completed');
    });
    next();
  };
}
