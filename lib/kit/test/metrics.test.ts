import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import express from 'express';
import { createLogger, createServiceApp, env, serveMetrics, z } from '../src';

const logger = createLogger('metrics-test', 'silent');
const portOf = (server: Server) => (server.address() as AddressInfo).port;

let metrics: Server;
const scrape = async () => (await fetch(`http://127.0.0.1:${portOf(metrics)}/metrics`)).text();

beforeAll(async () => {
  metrics = await serveMetrics(0, '127.0.0.1', logger);
});

afterAll(() => {
  metrics.close();
  metrics.closeAllConnections();
});

it('serves the registry as Prometheus text, with the process metrics, at /metrics only', async () => {
  const res = await fetch(`http://127.0.0.1:${portOf(metrics)}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
  expect(text).toMatch(/^nodejs_heap_size_total_bytes \d+/m);
  expect((await fetch(`http://127.0.0.1:${portOf(metrics)}/other`)).status).toBe(404);
});

it('times requests by method, route template and status, never by the URL', async () => {
  const routes = express.Router();
  routes.get('/posts/:id/comments', (_req, res) => {
    res.json([]);
  });
  const app = createServiceApp({ logger, isReady: () => true, routes: [routes] });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const base = `http://127.0.0.1:${portOf(server)}`;
    expect((await fetch(`${base}/posts/first-post/comments`)).status).toBe(200);
    expect((await fetch(`${base}/posts/second-post/comments`)).status).toBe(200);
    expect((await fetch(`${base}/no/such/page`)).status).toBe(404);
  } finally {
    server.closeAllConnections();
    server.close();
  }
  const text = await scrape();
  expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/posts\/:id\/comments",status="200"\} 2$/m);
  expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1$/m);
  expect(text).not.toMatch(/first-post|second-post|no\/such/);
});

it('times nothing in a process that serves no metrics', () => {
  const script = `
    const { createLogger, createServiceApp, metricsRegistry } = require('./src');
    const app = createServiceApp({ logger: createLogger('t', 'silent'), isReady: () => true });
    const server = app.listen(0, '127.0.0.1', async () => {
      await fetch('http://127.0.0.1:' + server.address().port + '/no/such/page');
      const text = await metricsRegistry.metrics();
      server.close();
      process.stdout.write(String(/^http_request_duration_seconds_count/m.test(text)));
    });`;
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
  expect(out).toBe('false');
});

it('stops serving once closed', async () => {
  const other = await serveMetrics(0, '127.0.0.1');
  const url = `http://127.0.0.1:${portOf(other)}/metrics`;
  expect((await fetch(url)).status).toBe(200);
  other.closeAllConnections();
  await new Promise((resolve) => other.close(resolve));
  await expect(fetch(url)).rejects.toThrow();
});

it('METRICS_PORT: a port, or unset (also when empty) for no metrics', () => {
  const config = z.object({ METRICS_PORT: env.metricsPort() });
  expect(config.parse({ METRICS_PORT: '9464' })).toEqual({ METRICS_PORT: 9464 });
  expect(config.parse({ METRICS_PORT: '' }).METRICS_PORT).toBeUndefined();
  expect(config.parse({}).METRICS_PORT).toBeUndefined();
  expect(config.safeParse({ METRICS_PORT: 'metrics' }).success).toBe(false);
  expect(config.safeParse({ METRICS_PORT: '70000' }).success).toBe(false);
});
