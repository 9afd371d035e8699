// The local ingress: ingress-nginx's `use-regex` routing and readiness-gated round robin, read from the YAML the cluster applies.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { containerOf, readManifests, servicesOf, workloadsOf, type Doc } from './manifests';

export interface Route {
  path: string;
  /** `^<path>`, case-insensitive, as ingress-nginx's `location ~*`. */
  regex: RegExp;
  service: string;
  servicePort: number;
  /** The Service's `selector.app`. */
  workspace: string;
  /** From `proxy-read-timeout`; else the ingress's own. */
  readTimeoutMs?: number;
  /** `proxy-buffering: "off"`: headers go at once (server-sent events). */
  unbuffered?: boolean;
}

/** An httpGet `readinessProbe`, run as the kubelet does with `successThreshold` 1. */
export interface ReadinessProbe {
  path: string;
  port: number;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
}

export interface RouteTable {
  /** Lower-case host → routes, longest path first. */
  hosts: Map<string, Route[]>;
  /** Bytes, from `proxy-body-size`; undefined = no limit. */
  bodyLimit?: number;
  /** By workspace; one without a probe is ready while running, as in Kubernetes. */
  probes: Map<string, ReadinessProbe>;
}

// So `http://localhost:8080` reaches the Ingress's first host.
const LOCAL_ALIASES = ['localhost', '127.0.0.1', '::1'];

/** Size as nginx writes it (`1m`, `512k`, `100`); `0` means no limit, as in nginx. */
export function parseSize(size: string): number | undefined {
  const m = /^(\d+)([kKmMgG]?)$/.exec(size.trim());
  if (!m) throw new Error(`bad proxy-body-size: ${size}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  const bytes = Number(m[1]) * unit;
  return bytes === 0 ? undefined : bytes;
}

/** A workload's readiness probe, with Kubernetes' defaults for what the manifest leaves out. */
function readinessProbe(workload: Doc): ReadinessProbe | undefined {
  const name = `${workload.kind} ${workload.metadata?.name}`;
  const container = containerOf(workload);
  const probe = container.readinessProbe;
  if (!probe) return undefined;
  const urlPath = probe.httpGet?.path;
  if (typeof urlPath !== 'string') throw new Error(`${name}: the local ingress only implements httpGet readiness probes`);
  const named = (container.ports ?? []).find((p: Doc) => p.name === probe.httpGet.port)?.containerPort;
  const port = Number(named ?? probe.httpGet.port);
  if (!Number.isInteger(port)) throw new Error(`${name}: its readiness probe asks port ${probe.httpGet.port}, which the container does not name`);
  return {
    path: urlPath,
    port,
    periodMs: Number(probe.periodSeconds ?? 10) * 1000,
    timeoutMs: Number(probe.timeoutSeconds ?? 1) * 1000,
    failureThreshold: Number(probe.failureThreshold ?? 3),
  };
}

function streamingOf(ingress: string, annotations: Record<string, unknown>): Pick<Route, 'readTimeoutMs' | 'unbuffered'> {
  const timeout = annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'];
  if (timeout !== undefined && !/^[1-9][0-9]*$/.test(String(timeout))) throw new Error(`Ingress ${ingress}: proxy-read-timeout must be whole seconds`);
  return {
    ...(timeout !== undefined && { readTimeoutMs: Number(timeout) * 1000 }),
    ...(annotations['nginx.ingress.kubernetes.io/proxy-buffering'] === 'off' && { unbuffered: true }),
  };
}

/** ingress-nginx sorts by descending path length (ties: descending path) before writing first-match regex locations. */
function byNginxOrder(a: Route, b: Route): number {
  return b.path.length - a.path.length || (a.path < b.path ? 1 : a.path > b.path ? -1 : 0);
}

export function loadRoutes(k8sDir: string): RouteTable {
  return routesOf(readManifests(k8sDir), k8sDir);
}

export function routesOf(docs: Doc[], k8sDir: string): RouteTable {
  const services = servicesOf(docs);
  const table: RouteTable = { hosts: new Map(), probes: new Map() };
  for (const [app, workload] of workloadsOf(docs)) {
    const probe = readinessProbe(workload);
    if (probe) table.probes.set(app, probe);
  }
  for (const ingress of docs.filter((d) => d.kind === 'Ingress')) {
    const annotations = ingress.metadata?.annotations ?? {};
    if (annotations['nginx.ingress.kubernetes.io/use-regex'] !== 'true') {
      throw new Error(`Ingress ${ingress.metadata?.name}: the local ingress only implements use-regex routing`);
    }
    const size = annotations['nginx.ingress.kubernetes.io/proxy-body-size'];
    if (size !== undefined) table.bodyLimit = parseSize(String(size));
    const streaming = streamingOf(ingress.metadata?.name, annotations);
    for (const rule of ingress.spec?.rules ?? []) {
      const host = String(rule.host ?? '').toLowerCase();
      const routes = table.hosts.get(host) ?? [];
      for (const p of rule.http?.paths ?? []) {
        const name = p.backend?.service?.name;
        const port = Number(p.backend?.service?.port?.number);
        const service = services.get(name);
        if (!service) throw new Error(`Ingress backend ${name} has no Service in ${k8sDir}`);
        if (!service.ports.includes(port)) throw new Error(`Service ${name} has no port ${port}`);
        routes.push({ path: p.path, regex: new RegExp(`^${p.path}`, 'i'), service: name, servicePort: port, workspace: service.app, ...streaming });
      }
      table.hosts.set(host, routes.sort(byNginxOrder));
    }
  }
  const first = table.hosts.keys().next().value;
  if (first === undefined) throw new Error(`no Ingress rules in ${k8sDir}`);
  for (const alias of LOCAL_ALIASES) if (!table.hosts.has(alias)) table.hosts.set(alias, table.hosts.get(first)!);
  return table;
}

/** `Host` header → bare lower-case host name (`Posts.com:8080` → `posts.com`, `[::1]:8080` → `::1`). */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1).split(']')[0];
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/** Undefined for an unknown host or path: ingress-nginx answers 404. */
export function matchRoute(table: RouteTable, host: string | undefined, url: string): Route | undefined {
  const path = url.split('?')[0];
  return table.hosts.get(hostName(host))?.find((route) => route.regex.test(path));
}

/** One running process of a workspace: a pod behind its Service. */
export interface Endpoint {
  port: number;
  /** Which start of the process: a restart is not ready until its probe passes again, as a new container. */
  instance: number;
}

interface ProbeState {
  instance: number;
  ready: boolean;
  /** In a row. */
  failures: number;
  probing?: Promise<void>;
}

/** As the kubelet: any 2xx or 3xx within the timeout passes. */
function httpProbe(port: number, probe: ReadinessProbe): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: probe.path, agent: false, timeout: probe.timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Each workspace's running processes and whether each passed its readiness probe, probed on its period, never per request. */
export class Endpoints {
  /** By `workspace:port`, replaced when a restart makes a new instance. */
  private readonly states = new Map<string, ProbeState>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly probes: Map<string, ReadinessProbe>,
    /** The workspace's running processes, in a fixed order. */
    readonly running: (workspace: string) => Endpoint[],
  ) {}

  start(): void {
    for (const [workspace, probe] of this.probes) {
      void this.probe(workspace);
      // Unref'd: probing alone never keeps a process alive.
      this.timers.push(setInterval(() => void this.probe(workspace), probe.periodMs).unref());
    }
  }

  stop(): void {
    this.timers.splice(0).forEach(clearInterval);
  }

  ready(workspace: string, running: Endpoint[] = this.running(workspace)): Endpoint[] {
    if (!this.probes.has(workspace)) return running;
    return running.filter((endpoint) => this.stateOf(workspace, endpoint).ready);
  }

  /** Probes each running process once, joining a probe already under way. */
  async probe(workspace: string): Promise<void> {
    const probe = this.probes.get(workspace);
    if (!probe) return;
    await Promise.all(
      this.running(workspace).map((endpoint) => {
        const state = this.stateOf(workspace, endpoint);
        state.probing ??= httpProbe(endpoint.port, probe).then((passed) => {
          state.probing = undefined;
          // As the kubelet: one pass makes it ready, `failureThreshold` failures in a row make it not ready.
          state.failures = passed ? 0 : state.failures + 1;
          state.ready = passed || (state.ready && state.failures < probe.failureThreshold);
        });
        return state.probing;
      }),
    );
  }

  private stateOf(workspace: string, endpoint: Endpoint): ProbeState {
    const key = `${workspace}:${endpoint.port}`;
    const known = this.states.get(key);
    if (known?.instance === endpoint.instance) return known;
    const fresh: ProbeState = { instance: endpoint.instance, ready: false, failures: 0 };
    this.states.set(key, fresh);
    return fresh;
  }
}

export interface IngressOptions {
  table: RouteTable;
  /** Probed while the ingress listens. */
  endpoints: Endpoints;
  /** nginx's proxy_read_timeout (default 60 s). */
  timeoutMs?: number;
}

// Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
];

/** `headers` without the hop-by-hop ones (and those their `Connection` names), but for `keep`. */
function forwardHeaders(headers: http.IncomingHttpHeaders, keep: string[] = []): http.OutgoingHttpHeaders {
  const hop = [...HOP_BY_HOP, ...(headers.connection?.toLowerCase().split(/\s*,\s*/) ?? [])].filter((h) => !keep.includes(h));
  return Object.fromEntries(Object.entries(headers).filter(([k, v]) => v !== undefined && !hop.includes(k)));
}

function requestHeaders(req: http.IncomingMessage, keep?: string[]): http.OutgoingHttpHeaders {
  const headers = forwardHeaders(req.headers, keep);
  const ip = req.socket.remoteAddress ?? '';
  // As ingress-nginx by default: the client's address replaces X-Forwarded-For (compute-full-forwarded-for off).
  headers['x-request-id'] = req.headers['x-request-id'] || randomUUID().replace(/-/g, '');
  headers['x-real-ip'] = ip;
  headers['x-forwarded-for'] = ip;
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-scheme'] = 'http';
  return headers;
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function socketError(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  socket.destroy();
}

export function createIngress(options: IngressOptions): http.Server {
  const { table, endpoints } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  // Idle upstream connections close after 4 s, before Node's default 5 s server keep-alive can race a reuse.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64, timeout: 4000 });

  // Round robin, ingress-nginx's default: the next in turn first, then the others after it.
  const turns = new Map<string, number>();
  const inTurn = (workspace: string, ready: Endpoint[]): Endpoint[] => {
    const turn = turns.get(workspace) ?? 0;
    turns.set(workspace, turn + 1);
    const first = turn % ready.length;
    return [...ready.slice(first), ...ready.slice(0, first)];
  };

  const server = http.createServer((req, res) => {
    const route = matchRoute(table, req.headers.host, req.url ?? '/');
    if (!route) return sendError(res, 404, 'not_found', `no route for ${hostName(req.headers.host) || '(no host)'}${req.url}`);
    const running = endpoints.running(route.workspace);
    if (running.length === 0) return sendError(res, 503, 'unavailable', `${route.workspace} is not running (restarting?)`);
    const ready = endpoints.ready(route.workspace, running);
    if (ready.length === 0) {
      return sendError(res, 503, 'no_ready_endpoint', `${route.workspace} is not ready: its readiness probe has not passed yet`);
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (table.bodyLimit !== undefined && length > table.bodyLimit) {
      return sendError(res, 413, 'payload_too_large', `body over ${table.bodyLimit} bytes`);
    }

    const headers = requestHeaders(req);
    const bodyless = !req.headers['transfer-encoding'] && length === 0;
    const retriable = bodyless && (req.method === 'GET' || req.method === 'HEAD');
    let upstream: http.ClientRequest | undefined;
    // The client went away before the answer was complete: stop the upstream work too.
    res.on('close', () => {
      if (!res.writableFinished) upstream?.destroy();
    });
    const forward = (tries: Endpoint[], retry: boolean) => {
      const [endpoint, ...rest] = tries;
      const upReq = http.request({
        host: '127.0.0.1',
        port: endpoint.port,
        method: req.method,
        path: req.url,
        headers,
        // A stream holds its connection while it is open: on the capped agent, 512 of them would queue every other request.
        agent: route.unbuffered ? false : agent,
        timeout: route.readTimeoutMs ?? timeoutMs,
      });
      upstream = upReq;
      let connected = false;
      const send = () => {
        connected = true;
        // The body is read only once connected, so a request that could not connect still has it for the next endpoint.
        if (!bodyless) req.pipe(upReq);
      };
      upReq.on('socket', (socket) => (socket.connecting ? socket.once('connect', send) : send()));
      upReq.on('response', (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, forwardHeaders(upRes.headers));
        if (route.unbuffered) res.flushHeaders();
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      });
      upReq.on('timeout', () => upReq.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT' })));
      upReq.on('error', (err: NodeJS.ErrnoException) => {
        // As ingress-nginx's proxy_next_upstream "error timeout": a request that reached no endpoint goes to the next.
        if (!connected && rest.length > 0 && !res.destroyed) return forward(rest, retry);
        // A kept-alive connection the backend closed just as we reused it: nginx retries such reads too.
        if (retry && upReq.reusedSocket && err.code === 'ECONNRESET' && !res.headersSent) return forward(tries, false);
        if (err.code === 'ETIMEDOUT') sendError(res, 504, 'gateway_timeout', `${route.workspace} did not answer in time`);
        else sendError(res, 502, 'bad_gateway', `${route.workspace} is unreachable (${err.code ?? err.message})`);
      });
      if (bodyless) upReq.end();
    };
    forward(inTurn(route.workspace, ready), retriable);
  });

  // WebSocket upgrades: Vite's HMR in dev mode.
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const route = matchRoute(table, req.headers.host, req.url ?? '/');
    if (!route) return socketError(socket, 404, 'Not Found');
    const ready = endpoints.ready(route.workspace);
    if (ready.length === 0) return socketError(socket, 503, 'Service Unavailable');
    // A raw tunnel: the request goes on as it came, with the ingress's headers, and the backend's answer (a 101 or not) comes back as it sent it.
    const upstream = net.connect(inTurn(route.workspace, ready)[0].port, '127.0.0.1');
    const headers = Object.entries(requestHeaders(req, ['connection', 'upgrade'])).flatMap(([name, value]) => [value].flat().map((v) => `${name}: ${v}`));
    upstream.write([`${req.method} ${req.url} HTTP/1.1`, ...headers].join('\r\n') + '\r\n\r\n');
    upstream.write(head);
    upstream.on('error', () => (upstream.bytesRead === 0 ? socketError(socket, 502, 'Bad Gateway') : socket.destroy()));
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    upstream.pipe(socket).pipe(upstream);
  });

  server.keepAliveTimeout = 75_000; // nginx's keepalive_timeout
  server.headersTimeout = 80_000;
  server.on('listening', () => endpoints.start());
  server.on('close', () => {
    endpoints.stop();
    agent.destroy();
  });
  return server;
}
