// The bus's /metrics as Prometheus scrapes it: events appended, the head, and per subscriber its
// cursor, backlog, retries and seconds since its last error, as events come and one subscriber fails.
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveMetrics } from '@posts/kit';
import { until } from '@posts/kit/testing';
import { startTestBus, type TestBus } from '../src/testing';

const portOf = (server: Server) => (server.address() as AddressInfo).port;

/** A subscriber that answers every delivery with `status`. */
async function subscriber(status: number): Promise<{ url: string; server: Server }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${portOf(server)}/events`, server };
}

let bus: TestBus;
let metrics: Server;
let healthy: { url: string; server: Server };
let failing: { url: string; server: Server };

/** One sample's value from the scrape, or undefined when it has none. */
async function sample(name: string, subscriberUrl?: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${portOf(metrics)}/metrics`)).text();
  const labels = subscriberUrl ? `\\{subscriber="${subscriberUrl.replace(/[.]/g, '\\.')}"\\}` : '';
  const line = new RegExp(`^${name}${labels} (\\S+)$`, 'm').exec(text);
  return line ? Number(line[1]) : undefined;
}

beforeAll(async () => {
  healthy = await subscriber(200);
  failing = await subscriber(503);
  bus = await startTestBus([healthy.url, failing.url]);
  metrics = await serveMetrics(0, '127.0.0.1');
});

afterAll(async () => {
  await bus.close();
  for (const server of [healthy.server, failing.server, metrics]) {
    server.closeAllConnections();
    server.close();
  }
});

it('starts at nothing appended, with no error yet', async () => {
  expect(await sample('bus_events_appended_total')).toBe(0);
  expect(await sample('bus_log_head')).toBe(0);
  expect(await sample('bus_subscriber_cursor', healthy.url)).toBe(0);
  expect(await sample('bus_subscriber_seconds_since_error', healthy.url)).toBe(-1);
  expect(await sample('bus_subscriber_retries_total', failing.url)).toBe(0);
});

it('moves as events are appended and a subscriber falls behind', async () => {
  for (const n of [1, 2, 3]) {
    const res = await fetch(`${bus.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `e${n}`, type: 'Tested', data: { n } }),
    });
    expect(res.status).toBe(201);
  }
  // A duplicate appends nothing.
  await fetch(`${bus.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'e1', type: 'Tested', data: {} }),
  });
  await until('3 in the log', () => bus.log.head === 3);
  // Delivered to the one, retried at least twice to the other (the test bus backs off 20 ms, doubling to 200).
  await until(
    'the one delivered to, the other retried',
    async () => (await sample('bus_subscriber_cursor', healthy.url)) === 3 && (await sample('bus_subscriber_retries_total', failing.url))! >= 2,
  );

  expect(await sample('bus_events_appended_total')).toBe(3);
  expect(await sample('bus_log_head')).toBe(3);
  expect(await sample('bus_subscriber_cursor', healthy.url)).toBe(3);
  expect(await sample('bus_subscriber_backlog', healthy.url)).toBe(0);
  expect(await sample('bus_subscriber_seconds_since_error', healthy.url)).toBe(-1);
  // The failing one holds every event, retried, and its last error is recent.
  expect(await sample('bus_subscriber_cursor', failing.url)).toBe(0);
  expect(await sample('bus_subscriber_backlog', failing.url)).toBe(3);
  expect(await sample('bus_subscriber_retries_total', failing.url)).toBeGreaterThanOrEqual(2);
  expect(await sample('bus_subscriber_seconds_since_error', failing.url)).toBeGreaterThanOrEqual(0);
});
