// Prometheus metrics: one registry per process (prom-client's default, so the SDK's and the bus's
// metrics show beside the kit's), the request histogram, and the listener that serves them.
import http, { type Server } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Histogram, register, type Metric } from 'prom-client';

export const metricsRegistry = register;

/**
 * The metric named `name`, made once: a module loaded twice in one process (its source and its
 * build, in tests) would otherwise throw on the second registration.
 */
export function metric<M extends Metric>(name: string, make: () => M): M {
  return (register.getSingleMetric(name) as M | undefined) ?? make();
}

const requestDuration = metric(
  'http_request_duration_seconds',
  () =>
    new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
);

/** The route a request matched, as its template: never the URL, so the label's values stay few. */
function routeOf(req: Parameters<RequestHandler>[0], status: number): string {
  const path: unknown = req.route?.path;
  if (path !== undefined) return req.baseUrl + String(path);
  // No route answered: a 404, or middleware such as a static file.
  return status === 404 ? 'unmatched' : 'middleware';
}

/** Whether this process serves its metrics: without METRICS_PORT, requests are not timed at all. */
let serving = false;

/** Times every request into `http_request_duration_seconds`, once the metrics are served; a child per label set, made once. */
export function httpMetrics(): RequestHandler {
  const children = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();
  return (req, res, next) => {
    if (!serving) return next();
    const started = performance.now();
    res.once('finish', () => {
      const route = routeOf(req, res.statusCode);
      const key = `${req.method} ${res.statusCode} ${route}`;
      let child = children.get(key);
      if (!child) children.set(key, (child = requestDuration.labels(req.method, route, String(res.statusCode))));
      child.observe((performance.now() - started) / 1000);
    });
    next();
  };
}

let processMetrics = false;

/**
 * Serves `GET /metrics` on a port of its own, with the process's default metrics. A separate
 * port because the ingress routes by path prefix, and the client's catch-all would expose it.
 */
export function serveMetrics(port: number, host: string, logger?: Logger): Promise<Server> {
  if (!processMetrics) {
    processMetrics = true;
    collectDefaultMetrics();
  }
  serving = true;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    register.metrics().then(
      (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
      (err: unknown) => {
        logger?.error({ err }, 'cannot collect metrics');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('cannot collect metrics\n');
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      logger?.info({ port, host }, 'serving metrics');
      resolve(server);
    });
  });
}
