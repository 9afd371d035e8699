import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorHandler, health, HttpError, httpMetrics, notFound, requestLogger, type Logger } from '@posts/kit';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { consoleRoutes } from './console/routes';
import type { ConsoleView } from './console/view';

export interface AppDeps {
  /** The Vite build: index.html plus hashed files under assets/. */
  staticDir: string;
  logger: Logger;
  /** What the console's API reads; without one (no bus configured) it answers 503. */
  consoleView?: ConsoleView;
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

export function createApp({ staticDir, logger, consoleView }: AppDeps): express.Express {
  const indexHtml = path.join(staticDir, 'index.html');
  const notBuilt = () => new HttpError(503, 'not_ready', 'The UI has not been built: index.html is missing.');
  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetrics());
  app.use(securityHeaders);
  // Before health, so probes carry a request id too; it logs no line for them.
  app.use(requestLogger(logger));
  // Ready only once the UI is built: a server without index.html can answer nothing useful.
  app.use(health(() => existsSync(indexHtml)));

  app.use('/console/api', consoleRoutes(consoleView));

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
    // sendFile's own error would show the file's path to the browser.
    res.sendFile(indexHtml, (error) => {
      if (error) next(res.headersSent ? error : notBuilt());
    });
  });

  app.use(notFound);
  app.use(uncachedErrors);
  app.use(errorHandler(logger));
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

/** An error is never cached; one after the headers went out can only cut the half-sent answer. */
const uncachedErrors: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) res.destroy();
  else res.set('Cache-Control', 'no-store');
  next(error);
};
