// What every posts.com service does the same way: config, logs, errors, health, shutdown.
// It ships with the bus SDK so that no service writes this logic again.
import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import pino, { type Logger } from 'pino';
import { z } from 'zod';

export { z };

/** An error that is answered as it is: `{error: {code, message}}` with `status`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The bus could not be reached. `maybeStored` is false when no attempt reached it (nothing
 * was stored); true when one failed after sending (it may have been stored before the bus
 * died), which only a retry with the same id can settle.
 */
export class BusUnavailableError extends Error {
  constructor(
    message: string,
    readonly maybeStored = false,
  ) {
    super(message);
  }
}

/** Config fields shared by every service; defaults are the cluster's names. */
export const env = {
  port: (defaultPort: number) => z.coerce.number().int().min(1).max(65535).default(defaultPort),
  url: (defaultUrl: string) => z.url({ protocol: /^https?$/ }).default(defaultUrl),
  urls: (defaultUrls: string[]) =>
    z
      .string()
      .default(defaultUrls.join(','))
      .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  list: (defaultItems: string[]) =>
    z
      .string()
      .default(defaultItems.join(','))
      .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean)),
  host: () => z.string().min(1).default('0.0.0.0'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Reads the environment once at start; a bad value exits 1 naming the variable. */
export function loadConfig<S extends z.ZodObject>(service: string, shape: S, source = process.env): z.infer<S> {
  const result = shape.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  process.stderr.write(`${service}: invalid configuration\n${problems.join('\n')}\n`);
  process.exit(1);
}

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

/** User text: trimmed, well-formed Unicode (no lone surrogates), between `min` and `max` characters. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode text');

const idempotencyKey = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII');

/**
 * The id of a resource a request creates. With an `Idempotency-Key` header it is derived
 * from the key, so a write retried after an unclear failure (a timeout, a 502) lands on the
 * same event id and the bus stores it once; without one it is random.
 */
export function newResourceId(req: express.Request, scope: string): string {
  const key = req.get('idempotency-key');
  if (key === undefined) return randomUUID();
  const parsed = idempotencyKey.safeParse(key);
  if (!parsed.success) throw new HttpError(400, 'invalid_request', `Idempotency-Key ${parsed.error.issues[0].message}`);
  const hex = createHash('sha256').update(`${scope}\n${parsed.data}`).digest('hex');
  // Shaped as a UUID (version 8, "custom") so every id looks alike.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** JSON bodies for public routes: small, objects only. */
export const publicJson = (limit = '64kb') => express.json({ limit, strict: true });

/** `/healthz` answers while the process lives; `/readyz` only once it can serve. */
export function health(isReady: () => boolean): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const ready = isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'starting' });
  });
  return router;
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};

/** The one place a service turns an error into an answer. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const answer = describe(err);
    if (answer.status >= 500) (req.log ?? logger).error({ err }, answer.message);
    if (res.headersSent) return;
    res.status(answer.status).json({ error: { code: answer.code, message: answer.message } });
  };
}

function describe(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof z.ZodError) {
    const message = err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
    return { status: 400, code: 'invalid_request', message };
  }
  if (err instanceof BusUnavailableError) {
    return err.maybeStored
      ? { status: 503, code: 'outcome_unknown', message: 'The event bus failed while storing this; it may have been stored. Retry with the same Idempotency-Key.' }
      : { status: 503, code: 'unavailable', message: 'The event bus is unreachable; nothing was stored. Try again.' };
  }
  // body-parser's errors carry a type and a 4xx status.
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') return { status: 413, code: 'payload_too_large', message: 'The request body is too large.' };
  if (type === 'entity.parse.failed') return { status: 400, code: 'malformed_json', message: 'The request body is not valid JSON.' };
  const status = (err as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: 'bad_request', message: (err as Error).message || 'Bad request.' };
  }
  return { status: 500, code: 'internal', message: 'Something went wrong on our side.' };
}

/**
 * Listens, and on SIGTERM/SIGINT stops taking requests, lets `drain` finish what the
 * service holds, and exits 0.
 */
export function serve(
  app: express.Express,
  options: { port: number; host: string; logger: Logger; drain?: () => Promise<void> },
): Promise<Server> {
  const { port, host, logger, drain } = options;
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (err) return reject(err);
      logger.info({ port, host }, 'listening');
      resolve(server);
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
      server.on('request', (_req, res: import('node:http').ServerResponse) => res.setHeader('connection', 'close'));
      const closeIdle = setInterval(() => server.closeIdleConnections(), 50);
      server.close(async () => {
        clearInterval(closeIdle);
        try {
          await drain?.();
        } finally {
          logger.info('stopped');
          process.exit(0);
        }
      });
      server.closeIdleConnections();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
