/**
 * The write budget of `npm start -- --limit`: each Ingress's `limit-rps` kept as a token bucket per client
 * address, 429 with `Retry-After` past it. The clock is a fake wherever the test can give one.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startSystem, type System } from '../src/launcher';
import { createIngress, Endpoints, loadRoutes, TokenBuckets, type RateLimit } from '../src/ingress';
import { SERVICE_NAMES } from '../src/registry';
import { until } from '../src/wait';
import { fast } from './processes';

const realK8s = path.resolve(__dirname, '../../../infra/k8s');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, urlPath: string, headers: http.OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: { host: 'posts.com', ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The statuses of `count` requests made one after another. */
async function statuses(port: number, count: number, method: string, urlPath: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await request(port, method, urlPath)).status);
  return out;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('a token bucket per client address', () => {
  const fiveAndTwenty: RateLimit = { ingress: 'ingress-writes', rps: 5, burst: 20 };

  test('lets the burst through at once, then says how long to wait', () => {
    const buckets = new TokenBuckets(fiveAndTwenty, () => 0);
    const waits = Array.from({ length: 21 }, () => buckets.take('10.0.0.1'));
    expect(waits.slice(0, 20)).toEqual(Array(20).fill(0));
    expect(waits[20]).toBe(1); // one token comes back in 0.2 s: whole seconds, rounded up
  });

  test('rounds the wait up to whole seconds', () => {
    const buckets = new TokenBuckets({ ingress: 'slow', rps: 0.4, burst: 1 }, () => 0);
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(3); // 2.5 s
  });

  test('refills at rps and never holds more than the burst', () => {
    let now = 0;
    const buckets = new TokenBuckets(fiveAndTwenty, () => now);
    for (let i = 0; i < 20; i++) buckets.take('a');
    now += 1000; // five tokens back
    expect(Array.from({ length: 6 }, () => buckets.take('a'))).toEqual([0, 0, 0, 0, 0, 1]);
    now += 3_600_000; // idle for an hour: full again, not more
    expect(Array.from({ length: 21 }, () => buckets.take('a')).filter((wait) => wait > 0)).toHaveLength(1);
  });

  test('each address has its own budget', () => {
    const buckets = new TokenBuckets(fiveAndTwenty, () => 0);
    for (let i = 0; i < 20; i++) buckets.take('a');
    expect(buckets.take('a')).toBeGreaterThan(0);
    expect(buckets.take('b')).toBe(0);
  });
});

describe('the budget in the manifests', () => {
  test('each Ingress has its own, from limit-rps × limit-burst-multiplier (5 when not given, as ingress-nginx)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'write-budget-test-'));
    const ingress = (name: string, annotations: string, p: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations:
    nginx.ingress.kubernetes.io/use-regex: "true"
${annotations}
spec:
  rules:
    - host: posts.com
      http:
        paths:
          - path: ${p}
            backend: { service: { name: web-srv, port: { number: 80 } } }
`;
    try {
      const service = 'apiVersion: v1\nkind: Service\nmetadata: { name: web-srv }\nspec: { selector: { app: web }, ports: [{ port: 80 }] }\n';
      const a = ingress('a', '    nginx.ingress.kubernetes.io/limit-rps: "2"', '/a');
      const b = ingress('b', '    nginx.ingress.kubernetes.io/limit-rps: "1"\n    nginx.ingress.kubernetes.io/limit-burst-multiplier: "3"', '/b');
      const c = ingress('c', '', '/c');
      writeFileSync(path.join(dir, 'all.yaml'), [service, a, b, c].join('---\n'));
      const routes = loadRoutes(dir).hosts.get('posts.com')!;
      expect(Object.fromEntries(routes.map((r) => [r.path, r.rateLimit]))).toEqual({
        '/a': { ingress: 'a', rps: 2, burst: 10 },
        '/b': { ingress: 'b', rps: 1, burst: 3 },
        '/c': undefined,
      });

      writeFileSync(path.join(dir, 'all.yaml'), [service, ingress('bad', '    nginx.ingress.kubernetes.io/limit-rps: "fast"', '/')].join('---\n'));
      expect(() => loadRoutes(dir)).toThrow(/Ingress bad: limit-rps and limit-burst-multiplier must be positive whole numbers/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- the proxy with the real infra/k8s routes, in front of backends that answer anything ----

describe('the local ingress with limit', () => {
  const table = loadRoutes(realK8s);
  let backend: http.Server;
  let now = 0;
  let limited: http.Server;
  let unlimited: http.Server;
  let port: number;
  let unlimitedPort: number;

  beforeAll(async () => {
    backend = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.method === 'POST' ? 201 : 200).end('{}'));
    });
    const backendPort = await listen(backend);
    // No probes: every workspace is ready while it runs, and all of them run on the one backend.
    const endpoints = () => new Endpoints(new Map(), () => [{ port: backendPort, instance: 0 }]);
    limited = createIngress({ table, endpoints: endpoints(), limit: true, now: () => now });
    unlimited = createIngress({ table, endpoints: endpoints() });
    port = await listen(limited);
    unlimitedPort = await listen(unlimited);
  });

  beforeEach(() => {
    now += 3_600_000; // a full budget for each test
  });

  afterAll(async () => {
    await Promise.all([limited, unlimited, backend].map(close));
  });

  test('past the burst a write gets 429 with Retry-After and the JSON error; after the refill it goes through again', async () => {
    expect(await statuses(port, 20, 'POST', '/posts/create')).toEqual(Array(20).fill(201));
    const refused = await request(port, 'POST', '/posts/create');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(refused.body)).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/try again in 1 s/) } });

    now += 1000;
    expect(await statuses(port, 6, 'POST', '/posts/create')).toEqual([201, 201, 201, 201, 201, 429]);
  });

  test("the two write paths share one budget per client, the comments' GETs included", async () => {
    expect(await statuses(port, 10, 'POST', '/posts/create')).toEqual(Array(10).fill(201));
    expect(await statuses(port, 5, 'POST', '/posts/p1/comments')).toEqual(Array(5).fill(201));
    expect(await statuses(port, 5, 'GET', '/posts/p1/comments')).toEqual(Array(5).fill(200));
    expect((await request(port, 'POST', '/posts/p2/comments')).status).toBe(429);
    expect((await request(port, 'GET', '/posts/p1/comments')).status).toBe(429);
  });

  test('reads and the page are never limited, even while the writes are', async () => {
    await statuses(port, 21, 'POST', '/posts/create');
    expect(await statuses(port, 50, 'GET', '/posts')).toEqual(Array(50).fill(200));
    expect(await statuses(port, 50, 'GET', '/')).toEqual(Array(50).fill(200));
    expect((await request(port, 'POST', '/posts/create')).status).toBe(429);
  });

  test('an upgrade request on a write path counts too, as any request in an nginx location', async () => {
    await statuses(port, 20, 'POST', '/posts/create');
    expect((await request(port, 'GET', '/posts/create', { connection: 'Upgrade', upgrade: 'websocket' })).status).toBe(429);
  });

  test('without limit (plain npm start) nothing is limited', async () => {
    expect(await statuses(unlimitedPort, 50, 'POST', '/posts/create')).toEqual(Array(50).fill(201));
  });
});

// ---- startSystem({ limit: true }) end to end, against stand-in services (the real clock here) ----

// Each stand-in answers every request, /readyz included, with 200.
const STAND_IN = `
const http = require('http');
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('{}')); });
server.listen(Number(process.env.PORT), process.env.HOST);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

describe('startSystem({ limit: true })', () => {
  let root: string;
  let system: System | undefined;

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'write-budget-system-'));
    const k8s = path.join(root, 'infra', 'k8s');
    mkdirSync(k8s, { recursive: true });
    for (const file of ['ingress-srv.yaml', ...SERVICE_NAMES.map((s) => `${s}-depl.yaml`)]) {
      copyFileSync(path.join(realK8s, file), path.join(k8s, file));
    }
    for (const s of SERVICE_NAMES) {
      mkdirSync(path.join(root, s, 'dist'), { recursive: true });
      writeFileSync(path.join(root, s, 'dist', 'index.js'), STAND_IN);
    }
  });

  afterAll(async () => {
    await system?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('answers 429 past the burst, reads still pass, and writes pass again once the budget refilled', async () => {
    system = await startSystem({ root, dataDir: path.join(root, 'data'), quiet: true, backoff: fast, limit: true });
    const port = system.ports.ingress;
    // 20 at once, plus the 5 a second that refill while they are sent: a 429 long before the 100th.
    let refused: Answer | undefined;
    for (let i = 0; i < 100 && !refused; i++) {
      const answer = await request(port, 'POST', '/posts/create');
      if (answer.status === 429) refused = answer;
    }
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused!.body)).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await request(port, 'GET', '/posts')).status).toBe(200);
    await until('a write through again', async () => (await request(port, 'POST', '/posts/create')).status === 200, 10_000, 100);
  });
});
