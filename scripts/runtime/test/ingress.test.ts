import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createIngress, Endpoints, hostName, loadRoutes, matchRoute, parseSize, type ReadinessProbe, type RouteTable } from '../src/ingress';
import { SERVICE_NAMES } from '../src/registry';
import { until } from '../src/wait';

const realK8s = path.resolve(__dirname, '../../../infra/k8s');

// The very files `kubectl apply -f infra/k8s` applies.
const table: RouteTable = loadRoutes(realK8s);

const route = (p: string, host = 'posts.com') => matchRoute(table, host, p)?.workspace;

describe('route matching from the real infra/k8s (ingress-srv.yaml and the Services)', () => {
  test('each of the four routes reaches its service', () => {
    expect(route('/posts/create')).toBe('posts');
    expect(route('/posts/abc/comments')).toBe('comments');
    expect(route('/posts')).toBe('query');
    expect(route('/')).toBe('client');
    expect(matchRoute(table, 'posts.com', '/posts/create')).toMatchObject({ service: 'posts-srv', servicePort: 4000 });
  });

  test('longest path first: /posts/create never reaches query, though /posts also matches it', () => {
    expect(table.hosts.get('posts.com')!.map((r) => r.path)).toEqual(['/posts/([^/]+)/comments', '/posts/create', '/posts', '/']);
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
      ['/posts/create', 'posts-srv', 'posts'],
      ['/posts', 'query-srv', 'query'],
      ['/', 'client-srv', 'client'],
    ]);
    expect(matchRoute(real, 'localhost:8080', '/POSTS/create')?.workspace).toBe('posts');
  });

  test("each workspace's readiness probe, from its Deployment", () => {
    const real = loadRoutes(realK8s);
    expect([...real.probes.keys()].sort()).toEqual([...SERVICE_NAMES].sort());
    for (const probe of real.probes.values()) {
      expect(probe).toEqual({ path: '/readyz', periodMs: 5000, timeoutMs: 2000, successThreshold: 1, failureThreshold: 3 });
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
  let deadPort: number;

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
    // A port with nothing behind it: the backend is down.
    const gone = http.createServer();
    deadPort = await listen(gone);
    await close(gone);

    // 'refused': the process died since its last probe passed, so the ingress still counts it as ready.
    endpoints = new Endpoints(table.probes, (w) => {
      if (w === 'comments' && comments === 'restarting') return undefined;
      return { port: w === 'comments' && comments === 'refused' ? deadPort : ports.get(w)!, instance: 0 };
    });
    ingress = createIngress({ table, endpoints });
    port = await listen(ingress);
    await until('every backend ready', () => SERVICE_NAMES.every((w) => endpoints.ready(w)));
  });

  let comments: 'up' | 'refused' | 'restarting' = 'up';
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
    comments = 'refused';
    const res = await request(port, { path: '/posts/p1/comments' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'bad_gateway' } });

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
    const proxy = createIngress({ table: flakyTable, endpoints: new Endpoints(flakyTable.probes, () => ({ port: flakyPort, instance: 0 })) });
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
    const probeTable = oneRoute('query', { path: '/readyz', periodMs: 20, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
    const proxy = createIngress({ table: probeTable, endpoints: new Endpoints(probeTable.probes, () => ({ port: backend.port, instance })) });
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
    const hourly = oneRoute('query', { path: '/readyz', periodMs: 3_600_000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
    const endpoints = new Endpoints(hourly.probes, () => ({ port: backend.port, instance: 1 }));
    const proxy = createIngress({ table: hourly, endpoints });
    const p = await listen(proxy);
    try {
      await until('the first probe passed', () => endpoints.ready('query')); // the one made when the ingress starts listening
      for (let i = 0; i < 20; i++) expect((await request(p, { path: '/posts' })).status).toBe(200);
      expect(backend.probes).toBe(1);
    } finally {
      await close(proxy);
      await close(backend.server);
    }
  });

  test('readiness flips only after successThreshold passes, or failureThreshold failures, in a row', async () => {
    const backend = await catchingUpBackend();
    const probes = new Map([['query', { path: '/readyz', periodMs: 3_600_000, timeoutMs: 1000, successThreshold: 2, failureThreshold: 2 }]]);
    const endpoints = new Endpoints(probes, () => ({ port: backend.port, instance: 1 }));
    try {
      const readyAfter = async (status: number) => {
        backend.readyStatus = status;
        await endpoints.probe('query');
        return endpoints.ready('query');
      };
      expect(await readyAfter(200)).toBe(false);
      expect(await readyAfter(503)).toBe(false);
      expect(await readyAfter(200)).toBe(false); // the failure between reset the run
      expect(await readyAfter(200)).toBe(true);
      expect(await readyAfter(503)).toBe(true);
      expect(await readyAfter(503)).toBe(false);
    } finally {
      await close(backend.server);
    }
  });

  test('a workspace without a readiness probe is ready while it runs, as in Kubernetes', () => {
    let running = true;
    const endpoints = new Endpoints(new Map(), () => (running ? { port: 1, instance: 1 } : undefined));
    expect(endpoints.ready('query')).toBe(true);
    running = false;
    expect(endpoints.ready('query')).toBe(false);
  });
});
