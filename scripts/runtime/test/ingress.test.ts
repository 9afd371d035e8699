import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createIngress, Endpoints, hostName, loadRoutes, matchRoute, parseSize, type ReadinessProbe, type RouteTable } from '../src/ingress';
import { SERVICE_NAMES, SERVICES } from '../src/registry';
import { until } from '@posts/kit/testing';

const realK8s = path.resolve(__dirname, '../../../infra/k8s');
const realK8sNats = path.resolve(__dirname, '../../../infra/k8s-nats');

// The very files `kubectl apply -f infra/k8s` applies.
const table: RouteTable = loadRoutes(realK8s);

const route = (p: string, host = 'posts.com') => matchRoute(table, host, p)?.workspace;

describe('route matching from the real infra/k8s (ingress-srv.yaml and the Services)', () => {
  test('each of the four routes reaches its service', () => {
    expect(route('/posts/create')).toBe('posts');
    expect(route('/posts/abc/comments')).toBe('comments');
    expect(route('/posts')).toBe('query');
    expect(route('/posts/live?since=3')).toBe('query');
    expect(route('/')).toBe('client');
    expect(matchRoute(table, 'posts.com', '/posts/create')).toMatchObject({ service: 'posts-srv', servicePort: 4000 });
  });

  test('longest path first: /posts/create never reaches query, though /posts also matches it', () => {
    expect(table.hosts.get('posts.com')!.map((r) => r.path)).toEqual([
      '/posts/([^/]+)/comments',
      '/console/api/live',
      '/posts/create',
      '/posts/live',
      '/posts',
      '/',
    ]);
    expect(route('/posts/create')).toBe('posts');
    expect(route('/posts/create?x=1')).toBe('posts');
  });

  test('paths are regexes anchored at the start only, as nginx location ~*', () => {
    expect(route('/posts/a/b/comments')).toBe('query'); // [^/]+ is one segment
    expect(route('/posts/abc/comments/extra')).toBe('comments');
    expect(route('/postsxyz')).toBe('query');
    expect(route('/assets/index.js')).toBe('client');
    expect(route('/x/posts/create')).toBe('client');
  });

  test('case-insensitive paths and hosts', () => {
    expect(route('/POSTS/create')).toBe('posts');
    expect(route('/Posts/ABC/Comments')).toBe('comments');
    expect(route('/posts', 'POSTS.COM')).toBe('query');
  });

  test('Host with a port, and the local aliases', () => {
    expect(route('/posts', 'posts.com:8080')).toBe('query');
    expect(route('/posts/create', 'localhost:8080')).toBe('posts');
    expect(route('/posts/create', '127.0.0.1')).toBe('posts');
    expect(route('/posts/create', '[::1]:8080')).toBe('posts');
  });

  test('an unknown or missing host matches nothing (404)', () => {
    expect(matchRoute(table, 'example.com', '/posts')).toBeUndefined();
    expect(matchRoute(table, 'posts.com.evil', '/')).toBeUndefined();
    expect(matchRoute(table, undefined, '/')).toBeUndefined();
  });

  test('helpers', () => {
    expect(hostName('Posts.COM:80')).toBe('posts.com');
    expect(hostName('[::1]')).toBe('::1');
    expect(parseSize('1m')).toBe(1024 * 1024);
    expect(parseSize('0')).toBeUndefined();
    expect(table.bodyLimit).toBe(1024 * 1024);
  });
});

describe('loading the manifests', () => {
  test('the real infra/k8s: every backend reaches the workspace its Service selects', () => {
    const real = loadRoutes(realK8s);
    expect(real.hosts.get('posts.com')!.map((r) => [r.path, r.service, r.workspace])).toEqual([
      ['/posts/([^/]+)/comments', 'comments-srv', 'comments'],
      ['/console/api/live', 'client-srv', 'client'],
      ['/posts/create', 'posts-srv', 'posts'],
      ['/posts/live', 'query-srv', 'query'],
      ['/posts', 'query-srv', 'query'],
      ['/', 'client-srv', 'client'],
    ]);
    expect(matchRoute(real, 'localhost:8080', '/POSTS/create')?.workspace).toBe('posts');
  });

  test("each workspace's readiness probe, from its Deployment", () => {
    const real = loadRoutes(realK8s);
    expect([...real.probes.keys()].sort()).toEqual([...SERVICE_NAMES].sort());
    for (const { name, port } of SERVICES) {
      expect(real.probes.get(name)).toEqual({ path: '/readyz', port, periodMs: 5000, timeoutMs: 2000, failureThreshold: 3 });
    }
  });

  test("infra/k8s-nats: the same routes, and the NATS nodes' probe from their StatefulSet, on the port it names", () => {
    const nats = loadRoutes(realK8sNats);
    expect(nats.hosts.get('posts.com')!.map((r) => [r.path, r.workspace])).toEqual(table.hosts.get('posts.com')!.map((r) => [r.path, r.workspace]));
    expect(nats.probes.get('nats')).toEqual({
      path: '/healthz?js-server-only=true',
      port: 8222,
      periodMs: 10_000,
      timeoutMs: 5000,
      failureThreshold: 3,
    });
    expect(nats.probes.has('event-bus')).toBe(false);
  });

  test("an Ingress's proxy-read-timeout and proxy-buffering apply to its paths only, and a value nginx would not take is an error", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ingress-test-'));
    const service = 'apiVersion: v1\nkind: Service\nmetadata: { name: web-srv }\nspec: { selector: { app: web }, ports: [{ port: 80 }] }\n';
    const ingress = (name: string, p: string, annotations: string) =>
      `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${name}\n  annotations:\n    nginx.ingress.kubernetes.io/use-regex: "true"\n${annotations}` +
      `spec:\n  rules:\n    - host: posts.com\n      http:\n        paths:\n          - path: ${p}\n            backend: { service: { name: web-srv, port: { number: 80 } } }\n`;
    const annotate = (timeout: string, buffering: string) =>
      `    nginx.ingress.kubernetes.io/proxy-read-timeout: "${timeout}"\n    nginx.ingress.kubernetes.io/proxy-buffering: "${buffering}"\n`;
    try {
      writeFileSync(
        path.join(dir, 'all.yaml'),
        [service, ingress('a', '/a', annotate('90', 'on')), ingress('b', '/b', annotate('5', 'off')), ingress('c', '/c', '')].join('---\n'),
      );
      const routes = loadRoutes(dir).hosts.get('posts.com')!;
      expect(routes.map((r) => [r.path, r.readTimeoutMs, r.unbuffered])).toEqual([
        ['/c', undefined, undefined],
        ['/b', 5000, true],
        ['/a', 90_000, undefined],
      ]);
      writeFileSync(path.join(dir, 'all.yaml'), [service, ingress('bad', '/', annotate('1h', 'off'))].join('---\n'));
      expect(() => loadRoutes(dir)).toThrow(/Ingress bad: proxy-read-timeout must be whole seconds/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a backend without a Service is an error, not a silent 404', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ingress-test-'));
    try {
      copyFileSync(path.join(realK8s, 'ingress-srv.yaml'), path.join(dir, 'ingress-srv.yaml'));
      expect(() => loadRoutes(dir)).toThrow(/posts-srv has no Service/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- the proxy, against tiny real backends on 127.0.0.1 ----

interface Echo {
  workspace: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, opts: { method?: string; path: string; host?: string; headers?: http.OutgoingHttpHeaders; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: { host: opts.host ?? 'posts.com', ...opts.headers }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('the proxy', () => {
  const backends = new Map<string, http.Server>();
  const ports = new Map<string, number>();
  let ingress: http.Server;
  let endpoints: Endpoints;
  let port: number;

  beforeAll(async () => {
    for (const name of SERVICE_NAMES) {
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const echo: Echo = { workspace: name, method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
          res.setHeader('set-cookie', ['a=1', 'b=2']);
          res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(echo));
        });
      });
      // A WebSocket-style echo: 101, then every byte back.
      server.on('upgrade', (req, socket) => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Workspace: ' + name + '\r\n\r\n');
        socket.pipe(socket);
      });
      backends.set(name, server);
      ports.set(name, await listen(server));
    }
    endpoints = new Endpoints(table.probes, (w) => (w === 'comments' && comments === 'restarting' ? [] : [{ port: ports.get(w)!, instance: 0 }]));
    ingress = createIngress({ table, endpoints });
    port = await listen(ingress);
    await until('every backend ready', () => SERVICE_NAMES.every((w) => endpoints.ready(w).length === 1));
  });

  let comments: 'up' | 'restarting' = 'up';
  afterEach(() => {
    comments = 'up';
  });

  afterAll(async () => {
    await close(ingress);
    await Promise.all([...backends.values()].map(close));
  });

  test('routes a read to query with the forwarded headers and a fresh request id', async () => {
    const res = await request(port, { path: '/posts?x=1', host: 'posts.com:8080' });
    expect(res.status).toBe(200);
    const echo: Echo = JSON.parse(res.body);
    expect(echo).toMatchObject({ workspace: 'query', method: 'GET', url: '/posts?x=1' });
    expect(echo.headers.host).toBe('posts.com:8080');
    expect(echo.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.headers['x-forwarded-host']).toBe('posts.com:8080');
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-port']).toBe(String(port));
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  test('streams a write body to posts and keeps a given request id', async () => {
    const body = JSON.stringify({ title: 'x'.repeat(100_000) });
    const res = await request(port, {
      method: 'POST',
      path: '/POSTS/create',
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123', connection: 'close' },
      body,
    });
    expect(res.status).toBe(201);
    const echo: Echo = JSON.parse(res.body);
    expect(echo).toMatchObject({ workspace: 'posts', method: 'POST', body });
    expect(echo.headers['x-request-id']).toBe('abc-123');
    expect(echo.headers.connection).not.toBe('close'); // hop-by-hop: the upstream connection stays alive
  });

  test('a comment write goes to comments, not to query', async () => {
    const res = await request(port, { method: 'POST', path: '/posts/p1/comments', body: '{"content":"hi"}' });
    expect(JSON.parse(res.body)).toMatchObject({ workspace: 'comments', url: '/posts/p1/comments', body: '{"content":"hi"}' });
  });

  test('unknown host: 404 JSON', async () => {
    const res = await request(port, { path: '/posts', host: 'example.com' });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'not_found' } });
  });

  test('a body over proxy-body-size: 413 JSON, as nginx', async () => {
    const res = await request(port, { method: 'POST', path: '/posts/create', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  test('backend down: 502 JSON; backend restarting: 503 JSON', async () => {
    // The process died since its last probe passed, so the ingress still counts it as ready.
    const server = backends.get('comments')!;
    await close(server);
    try {
      const res = await request(port, { path: '/posts/p1/comments' });
      expect(res.status).toBe(502);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'bad_gateway', message: expect.stringMatching(/ECONNREFUSED/) } });
    } finally {
      await new Promise<void>((resolve) => server.listen(ports.get('comments'), '127.0.0.1', resolve));
    }

    comments = 'restarting';
    const res2 = await request(port, { path: '/posts/p1/comments' });
    expect(res2.status).toBe(503);
    expect(JSON.parse(res2.body)).toMatchObject({ error: { code: 'unavailable' } });
  });

  test('a read whose kept-alive upstream connection was just closed is retried once; a write is not', async () => {
    // A backend that drops any connection on its second request: what a keep-alive race looks like.
    const flaky = http.createServer((req, res) => {
      const socket = req.socket as typeof req.socket & { served?: number };
      socket.served = (socket.served ?? 0) + 1;
      if (socket.served > 1) return socket.destroy();
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const flakyPort = await listen(flaky);
    const flakyTable = oneRoute('flaky');
    const proxy = createIngress({ table: flakyTable, endpoints: new Endpoints(flakyTable.probes, () => [{ port: flakyPort, instance: 0 }]) });
    const p = await listen(proxy);
    try {
      expect(await request(p, { path: '/a' })).toMatchObject({ status: 200, body: 'ok' });
      expect(await request(p, { path: '/b' })).toMatchObject({ status: 200, body: 'ok' }); // reused, reset, retried
      expect(await request(p, { path: '/c' })).toMatchObject({ status: 200, body: 'ok' });
      expect((await request(p, { method: 'POST', path: '/d', body: 'x' })).status).toBe(502); // not idempotent
    } finally {
      await close(proxy);
      await close(flaky);
    }
  });

  test('proxies a WebSocket upgrade both ways', async () => {
    const reply = await new Promise<{ status: number; workspace: string; echoed: string }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/@vite/hmr',
        headers: { host: 'localhost:8080', connection: 'Upgrade', upgrade: 'websocket' },
        agent: false,
      });
      req.on('upgrade', (res, socket) => {
        socket.write('ping');
        socket.once('data', (data: Buffer) => {
          resolve({ status: res.statusCode!, workspace: String(res.headers['x-workspace']), echoed: data.toString() });
          socket.destroy();
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(reply).toEqual({ status: 101, workspace: 'client', echoed: 'ping' });
  });
});

// ---- readiness: requests go only to a process whose readiness probe passed, as kube-proxy ----

/** A table routing everything on posts.com to `workspace`, probed with `probe` when given. */
function oneRoute(workspace: string, probe?: ReadinessProbe): RouteTable {
  const route = { path: '/', regex: /^\//i, service: `${workspace}-srv`, servicePort: 1, workspace };
  return { hosts: new Map([['posts.com', [route]]]), probes: new Map(probe ? [[workspace, probe]] : []) };
}

/** A backend that answers `ok`, and /readyz with `readyStatus`; it counts both kinds of request. */
async function catchingUpBackend() {
  const backend = { readyStatus: 503, probes: 0, requests: 0, port: 0, server: http.createServer() };
  backend.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/readyz') {
      backend.probes++;
      res.writeHead(backend.readyStatus).end();
    } else {
      backend.requests++;
      res.end('ok');
    }
  });
  backend.port = await listen(backend.server);
  return backend;
}

describe('readiness', () => {
  test('a backend is sent nothing while its probe fails, 503 JSON instead; then everything once it passes, and again after a restart', async () => {
    const backend = await catchingUpBackend();
    let instance = 1;
    const probeTable = oneRoute('query', { path: '/readyz', port: 4002, periodMs: 20, timeoutMs: 1000, failureThreshold: 3 });
    const proxy = createIngress({ table: probeTable, endpoints: new Endpoints(probeTable.probes, () => [{ port: backend.port, instance }]) });
    const p = await listen(proxy);
    try {
      await until('a few failed probes', () => backend.probes >= 3);
      const refused = await request(p, { path: '/posts' });
      expect(refused.status).toBe(503);
      expect(refused.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(refused.body)).toEqual({ error: { code: 'no_ready_endpoint', message: expect.stringMatching(/query is not ready/) } });
      expect(backend.requests).toBe(0);

      backend.readyStatus = 200;
      await until('the probe passed', async () => (await request(p, { path: '/posts' })).status === 200);
      expect(await request(p, { path: '/posts' })).toMatchObject({ status: 200, body: 'ok' });

      // A restarted process starts not ready, whatever its predecessor's probes said.
      backend.readyStatus = 503;
      instance = 2;
      const requestsBefore = backend.requests;
      expect(JSON.parse((await request(p, { path: '/posts' })).body)).toMatchObject({ error: { code: 'no_ready_endpoint' } });
      expect(backend.requests).toBe(requestsBefore);
      backend.readyStatus = 200;
      await until('the restarted process ready', async () => (await request(p, { path: '/posts' })).status === 200);
    } finally {
      await close(proxy);
      await close(backend.server);
    }
  });

  test('probes run on their period, not per request', async () => {
    const backend = await catchingUpBackend();
    backend.readyStatus = 200;
    const hourly = oneRoute('query', { path: '/readyz', port: 4002, periodMs: 3_600_000, timeoutMs: 1000, failureThreshold: 3 });
    const endpoints = new Endpoints(hourly.probes, () => [{ port: backend.port, instance: 1 }]);
    const proxy = createIngress({ table: hourly, endpoints });
    const p = await listen(proxy);
    try {
      await until('the first probe passed', () => endpoints.ready('query').length === 1); // the one made when the ingress starts listening
      for (let i = 0; i < 20; i++) expect((await request(p, { path: '/posts' })).status).toBe(200);
      expect(backend.probes).toBe(1);
    } finally {
      await close(proxy);
      await close(backend.server);
    }
  });

  test('readiness comes with one pass, and goes only after failureThreshold failures in a row', async () => {
    const backend = await catchingUpBackend();
    const probes = new Map([['query', { path: '/readyz', port: 4002, periodMs: 3_600_000, timeoutMs: 1000, failureThreshold: 2 }]]);
    const endpoints = new Endpoints(probes, () => [{ port: backend.port, instance: 1 }]);
    try {
      const readyAfter = async (status: number) => {
        backend.readyStatus = status;
        await endpoints.probe('query');
        return endpoints.ready('query').length === 1;
      };
      expect(await readyAfter(503)).toBe(false);
      expect(await readyAfter(200)).toBe(true);
      expect(await readyAfter(503)).toBe(true);
      expect(await readyAfter(200)).toBe(true); // the pass between reset the run
      expect(await readyAfter(503)).toBe(true);
      expect(await readyAfter(503)).toBe(false);
    } finally {
      await close(backend.server);
    }
  });

  test('a workspace without a readiness probe is ready while it runs, as in Kubernetes', () => {
    let running = true;
    const endpoints = new Endpoints(new Map(), () => (running ? [{ port: 1, instance: 1 }] : []));
    expect(endpoints.ready('query')).toEqual([{ port: 1, instance: 1 }]);
    running = false;
    expect(endpoints.ready('query')).toEqual([]);
  });
});

// ---- a Service with several endpoints (replicas), as ingress-nginx balances over them ----

/** A backend that answers its own name, and /readyz with `readyStatus`; it counts the requests it served and keeps their bodies. */
async function namedBackend(name: string) {
  const backend = { name, readyStatus: 200, served: 0, bodies: [] as string[], port: 0, server: http.createServer() };
  backend.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/readyz') return res.writeHead(backend.readyStatus).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      backend.served++;
      backend.bodies.push(Buffer.concat(chunks).toString());
      res.end(name);
    });
  });
  backend.port = await listen(backend.server);
  return backend;
}

/** A port nothing listens on: a process that died since the ingress last saw it running. */
async function deadPort(): Promise<number> {
  const gone = http.createServer();
  const port = await listen(gone);
  await close(gone);
  return port;
}

/** An ingress in front of `ports` as the endpoints of `query` (every path), probed with `probe` when given. */
async function spreadingIngress(ports: number[], options: { probe?: ReadinessProbe } = {}) {
  const spreadTable = oneRoute('query', options.probe);
  const endpoints = new Endpoints(spreadTable.probes, () => ports.map((port) => ({ port, instance: 1 })));
  const proxy = createIngress({ table: spreadTable, endpoints });
  return { endpoints, proxy, port: await listen(proxy) };
}

describe('a Service with several endpoints', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
  });

  test('requests go round robin over the ready endpoints; each endpoint is probed on its own', async () => {
    const backends = await Promise.all(['a', 'b', 'c'].map(namedBackend));
    backends[1].readyStatus = 503;
    const probe = { path: '/readyz', port: 4002, periodMs: 3_600_000, timeoutMs: 1000, failureThreshold: 1 };
    const { endpoints, proxy, port } = await spreadingIngress(
      backends.map((b) => b.port),
      { probe },
    );
    servers.push(proxy, ...backends.map((b) => b.server));
    await endpoints.probe('query');
    expect(endpoints.ready('query').map((e) => e.port)).toEqual([backends[0].port, backends[2].port]);
    const answers = async (n: number) => {
      const bodies: string[] = [];
      for (let i = 0; i < n; i++) bodies.push((await request(port, { path: '/posts' })).body);
      return bodies;
    };
    expect(await answers(4)).toEqual(['a', 'c', 'a', 'c']);

    backends[1].readyStatus = 200;
    await endpoints.probe('query');
    expect((await answers(6)).sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });

  test('a request that could not connect goes to the next endpoint, its body included', async () => {
    const alive = await namedBackend('alive');
    const { proxy, port } = await spreadingIngress([await deadPort(), alive.port, await deadPort()]);
    servers.push(proxy, alive.server);
    const body = JSON.stringify({ content: 'x'.repeat(100_000) });
    for (let i = 0; i < 6; i++) {
      expect(await request(port, { path: '/posts' })).toMatchObject({ status: 200, body: 'alive' });
      expect(await request(port, { method: 'POST', path: '/posts/p/comments', headers: { 'content-type': 'application/json' }, body })).toMatchObject({
        status: 200,
        body: 'alive',
      });
    }
    expect(alive.served).toBe(12);
    expect(alive.bodies.filter((b) => b === body)).toHaveLength(6);
  });

  test('a request that was sent is never sent again, though it got no answer', async () => {
    // It reads the whole request, then dies without answering: the request may have done its work.
    const dropper = http.createServer((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    const other = await namedBackend('other');
    const { proxy, port } = await spreadingIngress([await listen(dropper), other.port]);
    servers.push(proxy, dropper, other.server);
    const write = await request(port, { method: 'POST', path: '/posts/create', body: '{"title":"t"}' });
    expect(write.status).toBe(502);
    expect(JSON.parse(write.body)).toMatchObject({ error: { code: 'bad_gateway', message: expect.stringMatching(/ECONNRESET/) } });
    expect(other.served).toBe(0);
    expect(await request(port, { method: 'POST', path: '/posts/create', body: '{"title":"t"}' })).toMatchObject({ status: 200, body: 'other' });
  });

  test('when no endpoint takes the connection: 502 JSON', async () => {
    const { proxy, port } = await spreadingIngress([await deadPort(), await deadPort()]);
    servers.push(proxy);
    const res = await request(port, { path: '/posts' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'bad_gateway', message: expect.stringMatching(/ECONNREFUSED/) } });
  });
});

// ---- a long-lived stream (server-sent events): its Ingress's proxy-buffering "off" and proxy-read-timeout ----

describe('a live stream', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
  });

  /** The real routes, query served by `handler`, and a 300 ms read timeout where an Ingress sets none (nginx's 60 s, made short). */
  async function streamingIngress(handler: http.RequestListener) {
    const backend = http.createServer(handler);
    const backendPort = await listen(backend);
    const proxy = createIngress({ table, endpoints: new Endpoints(new Map(), () => [{ port: backendPort, instance: 0 }]), timeoutMs: 300 });
    servers.push(proxy, backend);
    return listen(proxy);
  }

  /** A GET whose chunks are handed over as they come; `response` resolves with the headers, before any body. */
  function get(port: number, urlPath: string) {
    const chunks: string[] = [];
    let wake = () => {};
    let closed = false;
    let req!: http.ClientRequest;
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { host: 'posts.com' }, agent: false }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => (chunks.push(c), wake()));
        res.on('error', () => undefined);
        resolve(res);
      });
      req.on('error', (err) => (closed ? undefined : reject(err))); // our own close() before an answer
    });
    const ended = response.then((res) => new Promise<boolean>((resolve) => res.on('close', () => resolve(res.complete))));
    const chunk = async (n: number) => {
      while (chunks.length < n) await new Promise<void>((resolve) => (wake = resolve));
      return chunks[n - 1];
    };
    return { response, ended, chunk, body: () => chunks.join(''), close: () => ((closed = true), req.destroy()) };
  }

  test('each event reaches the client as query sends it, long before the response ends', async () => {
    let send!: (text: string) => void;
    let finish!: () => void;
    const port = await streamingIngress((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      send = (text) => res.write(text);
      finish = () => res.end();
      send('id: 1\nevent: start\ndata: {"seq":1}\n\n');
    });
    const client = get(port, '/posts/live');
    expect((await client.response).headers['content-type']).toBe('text/event-stream');
    expect(await client.chunk(1)).toBe('id: 1\nevent: start\ndata: {"seq":1}\n\n');
    send('id: 2\nevent: post\ndata: {}\n\n');
    expect(await client.chunk(2)).toBe('id: 2\nevent: post\ndata: {}\n\n');
    finish();
    expect(await client.ended).toBe(true);
  });

  test('unbuffered, the headers go at once, before the first byte of body; elsewhere they wait for it as before', async () => {
    const port = await streamingIngress((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders(); // headers, and nothing yet
    });
    const live = get(port, '/posts/live');
    expect((await live.response).statusCode).toBe(200);
    live.close();
    const page = get(port, '/posts/page');
    const early = await Promise.race([page.response.then(() => 'headers'), new Promise((r) => setTimeout(() => r('nothing'), 100))]);
    expect(early).toBe('nothing');
    page.close();
  });

  test("the live route waits between reads as long as its Ingress's proxy-read-timeout says; other routes are cut at the default", async () => {
    // A response quiet for 600 ms between two chunks: twice the default read timeout here.
    const port = await streamingIngress((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first ');
      setTimeout(() => res.end('second'), 600);
    });
    const live = get(port, '/posts/live');
    expect([await live.ended, live.body()]).toEqual([true, 'first second']);
    const page = get(port, '/posts/page');
    expect([await page.ended, page.body()]).toEqual([false, 'first ']); // cut mid-body: the client sees it incomplete
  });

  test('a client that leaves closes the upstream stream too', async () => {
    let upstreamClosed!: Promise<void>;
    const port = await streamingIngress((_req, res) => {
      upstreamClosed = new Promise((resolve) => res.on('close', () => resolve()));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
    });
    const client = get(port, '/posts/live');
    await client.chunk(1);
    client.close();
    await upstreamClosed;
  });
});
