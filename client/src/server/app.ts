import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Log } from './log';

export interface AppDeps {
  /** The Vite build: index.html plus hashed files under assets/. */
  staticDir: string;
  /** One structured log line per request; silent when not given (tests). */
  log?: Log;
}

/** Hashed file names change with their content, so browsers may keep them for a year without asking. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else (index.html, favicon) is revalidated so a new deploy shows at once. */
const REVALIDATE = 'no-cache';

/** No inline script or style, nothing from another origin, and no framing. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function createApp({ staticDir, log = () => {} }: AppDeps): express.Express {
  const indexHtml = path.join(staticDir, 'index.html');
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(log));
  app.use(securityHeaders);

  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    // Ready only once the UI is built: a server without index.html can answer nothing useful.
    if (existsSync(indexHtml)) res.set('Cache-Control', 'no-store').json({ status: 'ready' });
    else sendError(res, 503, 'not_ready', 'The UI has not been built: index.html is missing.');
  });

  app.use(
    express.static(staticDir, {
      index: ['index.html'],
      redirect: false,
      setHeaders: (res, filePath) => {
        const underAssets = path.relative(staticDir, filePath).split(path.sep)[0] === 'assets';
        res.setHeader('Cache-Control', underAssets ? IMMUTABLE : REVALIDATE);
      },
    }),
  );

  // Client-side routes: a browser asking for a page gets the app, which decides what to show.
  app.get(/.*/, (req, res, next) => {
    if (!wantsPage(req)) return next();
    res.set('Cache-Control', REVALIDATE);
    res.sendFile(indexHtml, (error) => {
      if (error) next(error);
    });
  });

  app.use((req, res) => {
    sendError(res, 404, 'not_found', `Nothing at ${req.method} ${req.path}.`);
  });
  app.use(errorHandler(log));
  return app;
}

/** A page navigation: HTML preferred over JSON, and not a missing file such as an old /assets/x.js. */
function wantsPage(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html' && path.extname(req.path) === '' && !req.path.startsWith('/assets/');
}

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY'); // for browsers that predate frame-ancestors
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  next();
};

function requestLog(log: Log): RequestHandler {
  return (req, res, next) => {
    // Reuse the ingress's id so one request can be followed across services.
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    // Probes come every few seconds and say nothing new, as in the other services' logs.
    if (req.path === '/healthz' || req.path === '/readyz') return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      log({ level, msg: 'request', requestId, method: req.method, path: req.path, status: res.statusCode, ms });
    });
    next();
  };
}

function errorHandler(log: Log): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status = statusOf(error);
    if (status >= 500) log({ level: 'error', msg: 'request failed', path: req.path, error: String(error) });
    if (res.headersSent) {
      res.destroy(); // the answer is already half sent: cutting it is the only honest thing left
      return;
    }
    if (status === 404) sendError(res, 404, 'not_found', `Nothing at ${req.method} ${req.path}.`);
    else if (status < 500) sendError(res, status, 'bad_request', 'The request could not be understood.');
    else sendError(res, 500, 'internal', 'Something went wrong on our side. Please try again.');
  };
}

/** The HTTP status an error asks for (express.static and sendFile set one), else 500. */
function statusOf(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 500;
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error: { code, message } });
}
