import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** The request's id: its `x-request-id` when it sent a sane one, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && given.length > 0 && given.length <= 128 ? given : randomUUID();
}

/** Logs the request as one JSON line when it finishes, at a level by its status. Lighter than a child logger per request. */
export function logWhenFinished(logger: Logger, req: IncomingMessage, res: ServerResponse, id: string, url: string): void {
  const started = performance.now();
  res.on('finish', () => {
    const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const ms = Math.round((performance.now() - started) * 10) / 10;
    logger[level]({ reqId: id, method: req.method, url, status: res.statusCode, ms }, 'request completed');
  });
}

/** Gives each request an id (from `x-request-id`, or a new one), echoes it, and logs the request when it finishes. */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    req.id = requestIdOf(req);
    req.log = logger;
    res.setHeader('x-request-id', req.id);
    if (req.url !== '/healthz' && req.url !== '/readyz') logWhenFinished(logger, req, res, req.id, req.originalUrl);
    next();
  };
}
