import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startSystem, type System } from '../src/launcher';
import { SERVICE_NAMES } from '../src/registry';
import { sleep, until } from '@posts/kit/testing';
import { alive, fast } from './processes';

// ---- startSystem against stand-in services: the wiring, routing, restarts and shutdown, in seconds ----

// Each stand-in answers every request with who it is and what it was given; /readyz is 503 while ./not-ready exists.
const STAND_IN = `
const http = require('http');
const name = require('path').basename(process.cwd());
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/readyz' && require('fs').existsSync('not-ready')) return res.writeHead(503).end('{}');
  const e = process.env;
  res.end(JSON.stringify({ name, pid: process.pid, url: req.url, env: { PORT: e.PORT, METRICS_PORT: e.METRICS_PORT, HOST: e.HOST, EVENT_BUS_URL: e.EVENT_BUS_URL, SUBSCRIBERS: e.SUBSCRIBERS, EVENT_LOG_PATH: e.EVENT_LOG_PATH, BANNED_WORDS: e.BANNED_WORDS, LOG_LEVEL: e.LOG_LEVEL, EXTRA: e.EXTRA, BUS_SECRET: e.BUS_SECRET } }));
});
server.listen(Number(process.env.PORT), process.env.HOST);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function fakeRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'launcher-test-'));
  for (const set of ['k8s', 'k8s-nats']) cpSync(path.resolve(__dirname, '../../../infra', set), path.join(root, 'infra', set), { recursive: true });
  for (const s of SERVICE_NAMES) {
    mkdirSync(path.join(root, s, 'dist'), { recursive: true });
    writeFileSync(path.join(root, s, 'dist', 'index.js'), STAND_IN);
  }
  return root;
}

// The stand-ins' JSON, whose shape the assertions check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function getJson(url: string, host = 'posts.com'): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host }, agent: false }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      })
      .on('error', reject);
  });
}

describe('startSystem with stand-in services', () => {
  let root: string;
  let system: System | undefined;

  beforeAll(() => {
    root = fakeRoot();
  });

  afterAll(async () => {
    await system?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('wires ports and env, routes through the ingress, restarts a killed service, stops everything', async () => {
    system = await startSystem({
      root,
      dataDir: path.join(root, 'data'),
      quiet: true,
      env: { moderation: { EXTRA: 'yes' } },
      extraSubscribers: ['http://127.0.0.1:1/events'],
      backoff: fast,
    });
    const { ports } = system;
    expect(new Set(Object.values(ports)).size).toBe(SERVICE_NAMES.length + 1);

    const query = (await getJson(`${system.url}/posts`)).body;
    expect(query).toMatchObject({
      name: 'query',
      env: { PORT: String(ports.query), HOST: '127.0.0.1', EVENT_BUS_URL: `http://127.0.0.1:${ports['event-bus']}` },
    });
    // A *_PORT that names one of the pod's container ports (METRICS_PORT, 9464) gets the pod's loopback port for it.
    const metricsPort = system.pods('query')[0].ports[9464];
    expect([metricsPort, query.env.METRICS_PORT]).toEqual([expect.any(Number), String(metricsPort)]);
    expect((await getJson(`${system.url}/POSTS/create`, 'localhost')).body.name).toBe('posts');
    expect((await getJson(`${system.url}/posts/p1/comments`)).body.name).toBe('comments');
    expect((await getJson(`${system.url}/`)).body.name).toBe('client');
    expect((await getJson(`${system.url}/`, 'example.com')).status).toBe(404);

    const bus = (await getJson(`http://127.0.0.1:${ports['event-bus']}/`)).body;
    expect(bus.env.SUBSCRIBERS.split(',')).toEqual([
      ...['posts', 'comments', 'query', 'moderation'].map((s) => `http://127.0.0.1:${ports[s as 'posts']}/events`),
      'http://127.0.0.1:1/events',
    ]);
    expect(bus.env.EVENT_LOG_PATH).toBe(path.join(root, 'data', 'events.ndjson'));
    // The rest of a Deployment's env as the manifest has it; the caller's env last.
    expect((await getJson(`http://127.0.0.1:${ports.moderation}/`)).body.env).toMatchObject({ BANNED_WORDS: 'orange', EXTRA: 'yes', HOST: '127.0.0.1' });
    // The client's console reads the log.
    expect((await getJson(`http://127.0.0.1:${ports.client}/`)).body.env.EVENT_BUS_URL).toBe(`http://127.0.0.1:${ports['event-bus']}`);

    const before = system.pid('posts')!;
    system.kill('posts');
    await until('posts restarted', () => system!.restarts('posts') === 1);
    await system.waitReady(20_000);
    expect((await getJson(`${system.url}/posts/create`)).body.pid).not.toBe(before);
    expect(system.logs().join('\n')).toMatch(/restarting posts in 0\.05s \(exit code 137\)/);

    const pids = SERVICE_NAMES.map((s) => system!.pid(s)!);
    await system.stop();
    expect(pids.filter(alive)).toEqual([]);
  });

  test('gives the bus and its clients one secret, made once beside the data and kept across starts', async () => {
    const dataDir = path.join(root, 'secret-data');
    const secretsNow = async () => {
      const { ports } = system!;
      const of = async (name: (typeof SERVICE_NAMES)[number]) => (await getJson(`http://127.0.0.1:${ports[name]}/`)).body.env.BUS_SECRET as string | undefined;
      return Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (name) => [name, await of(name)])));
    };
    system = await startSystem({ root, dataDir, quiet: true, backoff: fast });
    let expected: Record<string, string | undefined>;
    try {
      const secret = readFileSync(path.join(dataDir, 'bus-secret'), 'utf8');
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(path.join(dataDir, 'bus-secret')).mode & 0o777).toBe(0o600);
      expected = { 'event-bus': secret, posts: secret, comments: secret, query: secret, moderation: secret, client: secret };
      expect(await secretsNow()).toEqual(expected);
    } finally {
      await system.stop();
    }

    system = await startSystem({ root, dataDir, quiet: true, backoff: fast });
    try {
      expect(await secretsNow()).toEqual(expected);
    } finally {
      await system.stop();
    }
  });

  test('a restarted service gets no request through the ingress until its readiness probe passes again', async () => {
    system = await startSystem({ root, dataDir: path.join(root, 'data'), quiet: true, backoff: fast });
    const { ports } = system;
    const notReady = path.join(root, 'query', 'not-ready');
    writeFileSync(notReady, ''); // the next query is still catching up with the log
    try {
      system.kill('query');
      await until('query restarted', () => system!.restarts('query') === 1);
      await until('the new query answering', async () => (await getJson(`http://127.0.0.1:${ports.query}/`).catch(() => undefined))?.status === 200);
      const read = await getJson(`${system.url}/posts`);
      expect(read).toEqual({ status: 503, body: { error: { code: 'no_ready_endpoint', message: expect.any(String) } } });
    } finally {
      rmSync(notReady, { force: true });
    }
    await system.waitReady(20_000);
    expect((await getJson(`${system.url}/posts`)).body.name).toBe('query');
    await system.stop();
  });

  test('a stopped service stays down until it is started again, then is a new instance', async () => {
    system = await startSystem({ root, dataDir: path.join(root, 'data'), quiet: true, backoff: fast });
    const before = system.pid('moderation')!;
    await system.stopService('moderation');
    await sleep(300); // several backoffs: a crash would have been restarted by now
    expect(system.pid('moderation')).toBeUndefined();
    expect(alive(before)).toBe(false);
    expect(system.restarts('moderation')).toBe(0);

    system.startService('moderation');
    await system.waitReady(20_000);
    expect(system.restarts('moderation')).toBe(1);
    expect((await getJson(`http://127.0.0.1:${system.ports.moderation}/`)).body.pid).toBe(system.pid('moderation'));
    await system.stop();
  });

  test('a launcher that gets SIGINT on its process group (Ctrl-C) leaves nothing behind', async () => {
    const script = `require(${JSON.stringify(path.resolve(__dirname, '../src/launcher'))})
      .startSystem({ root: ${JSON.stringify(root)}, dataDir: ${JSON.stringify(path.join(root, 'data'))}, quiet: true })
      .then((s) => console.log(JSON.stringify(${JSON.stringify(SERVICE_NAMES)}.map((n) => s.pid(n)))));`;
    const launcher = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: path.resolve(__dirname, '..'),
      detached: true, // its own group, so we can play the terminal
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => launcher.on('exit', (code, signal) => resolve(signal ?? code)));
    let out = '';
    launcher.stdout!.on('data', (c) => (out += c));
    let pids: number[] = [];
    try {
      pids = JSON.parse(await until('the launcher ready', () => out.includes('\n') && out, 60_000));
      expect(pids.every(alive)).toBe(true);

      process.kill(-launcher.pid!, 'SIGINT');
      expect(await exited).toBe('SIGINT'); // it stops everything, then dies of the signal as it would have
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      // Only if the test failed half-way: leave nothing running.
      for (const pid of [launcher.pid!, ...pids]) if (alive(pid)) process.kill(-pid, 'SIGKILL');
    }
  }, 60_000); // the launcher compiles its sources first
});

// ---- startSystem({ nats: true }) against stand-ins, nats-server's included: the replicas, the nodes and their supervision ----

// A stand-in nats-server, first on PATH: it says it is 2.9.10, and its monitoring port (from the nats.conf it is given) answers
// /healthz, and anything else with its configuration and environment.
const NATS_STAND_IN = `#!${process.execPath}
if (process.argv[2] === '--version') return console.log('nats-server: v2.9.10');
const conf = require('fs').readFileSync(process.argv[process.argv.indexOf('--config') + 1], 'utf8');
const monitor = Number(/^http: 127[.]0[.]0[.]1:([0-9]+)$/m.exec(conf)[1]);
const server = require('http').createServer((req, res) => {
  if (req.url.startsWith('/healthz')) return res.end('{"status":"ok"}');
  const e = process.env;
  res.end(JSON.stringify({ pid: process.pid, conf, env: { SERVER_NAME: e.SERVER_NAME, POSTS_PASSWORD_QUOTED: e.POSTS_PASSWORD_QUOTED, HOME: e.HOME } }));
});
server.listen(monitor, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

describe('startSystem({ nats: true }) with stand-ins for the services and nats-server', () => {
  const BACKENDS = ['posts', 'comments', 'query', 'moderation'] as const;
  let root: string;
  let bin: string;
  let system: System | undefined;
  const pathBefore = process.env.PATH;

  beforeAll(() => {
    root = fakeRoot();
    bin = path.join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'nats-server'), NATS_STAND_IN);
    chmodSync(path.join(bin, 'nats-server'), 0o755);
    process.env.PATH = `${bin}:${pathBefore}`;
  });

  afterAll(async () => {
    process.env.PATH = pathBefore;
    await system?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('runs three NATS nodes with the ConfigMap made local and two processes of each backend on JetStream; no event bus', async () => {
    const dataDir = path.join(root, 'nats-data');
    system = await startSystem({ root, dataDir, nats: true, quiet: true, backoff: fast });
    expect(system.ports['event-bus']).toBeUndefined();
    expect(() => system!.pods('event-bus')).toThrow(/event-bus does not run here/);
    expect(system.pods('client').map((p) => p.name)).toEqual(['client']);

    const usersFile = path.join(dataDir, 'nats-users');
    expect(statSync(usersFile).mode & 0o777).toBe(0o600);
    const passwords = Object.fromEntries(
      readFileSync(usersFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split('=')),
    );
    const nodes = system.pods('nats');
    expect(nodes.map((n) => n.name)).toEqual(['nats-0', 'nats-1', 'nats-2']);

    for (const name of BACKENDS) {
      const pods = system.pods(name);
      expect(pods.map((p) => p.name)).toEqual([`${name}-0`, `${name}-1`]);
      for (const pod of pods) {
        const { env } = (await getJson(`http://127.0.0.1:${Object.values(pod.ports)[0]}/`)).body;
        expect(env.EVENT_BUS_URL).toBe(nodes.map((n) => `nats://${name}:${passwords[name]}@127.0.0.1:${n.ports[4222]}`).join(','));
        expect(env.PORT).toBe(String(Object.values(pod.ports)[0]));
        expect(env.BUS_SECRET).toBeUndefined();
      }
    }
    // The client's console logs in as its own user, whose password the launcher made with the others.
    const client = system.pods('client')[0];
    const { env: clientEnv } = (await getJson(`http://127.0.0.1:${Object.values(client.ports)[0]}/`)).body;
    expect(Object.keys(passwords).sort()).toEqual(['client', 'comments', 'moderation', 'posts', 'query']);
    expect(clientEnv.EVENT_BUS_URL).toBe(nodes.map((n) => `nats://client:${passwords.client}@127.0.0.1:${n.ports[4222]}`).join(','));

    for (const [i, node] of nodes.entries()) {
      const { conf, env } = (await getJson(`http://127.0.0.1:${node.ports[8222]}/`)).body;
      expect(env).toEqual({ SERVER_NAME: `nats-${i}`, POSTS_PASSWORD_QUOTED: `"${passwords.posts}"` }); // the pod's environment alone
      expect(conf).toContain(`store_dir: "${path.join(dataDir, 'nats', `nats-${i}`)}"`);
      expect(conf).toContain(`listen: 127.0.0.1:${node.ports[4222]}`);
      for (const other of nodes) expect(conf).toContain(`nats://127.0.0.1:${other.ports[6222]}`);
      expect(readFileSync(path.join(dataDir, 'nats', `nats-${i}`, 'nats.conf'), 'utf8')).toBe(conf);
    }
    expect(system.logs().join('\n')).toMatch(/nats-server 2\.9\.10 predates jetstream\.sync_interval \(nats-server 2\.10\.0\): left out of nats\.conf/);

    // The ingress spreads reads over both query processes.
    const pids = new Set<number>();
    for (let i = 0; i < 4; i++) pids.add((await getJson(`${system.url}/posts`)).body.pid);
    expect([...pids].sort()).toEqual([system.pid('query', 0), system.pid('query', 1)].sort());
  });

  test('each replica and each node is supervised on its own', async () => {
    const sys = system!;
    const second = sys.pid('comments', 1);
    sys.kill('comments', 'SIGKILL', 0);
    await until('comments-0 restarted', () => sys.restarts('comments', 0) === 1);
    expect([sys.restarts('comments', 1), sys.pid('comments', 1), sys.restarts('comments')]).toEqual([0, second, 1]);
    expect(sys.logs().join('\n')).toMatch(/restarting comments-0 in 0\.05s \(exit code 137\)/);

    // While one is stopped, the other takes every request.
    await sys.stopService('comments', 0);
    for (let i = 0; i < 4; i++) expect((await getJson(`${sys.url}/posts/p1/comments`)).body.pid).toBe(second);
    sys.startService('comments', 0);

    const nodes = [0, 1, 2].map((i) => sys.pid('nats', i));
    sys.kill('nats', 'SIGKILL', 1);
    await until('nats-1 restarted', () => sys.restarts('nats', 1) === 1);
    expect([sys.pid('nats', 0), sys.pid('nats', 2), sys.restarts('nats')]).toEqual([nodes[0], nodes[2], 1]);
    await sys.waitReady(20_000);

    const pids = [...BACKENDS, 'nats' as const].flatMap((name) => sys.pods(name).map((_, i) => sys.pid(name, i)!));
    expect(pids).toHaveLength(11);
    await sys.stop();
    expect(pids.filter(alive)).toEqual([]);
  });

  test('without nats-server it says how to install it and starts nothing', async () => {
    process.env.PATH = path.join(root, 'no-such-folder');
    try {
      await expect(startSystem({ root, dataDir: path.join(root, 'none'), nats: true, quiet: true })).rejects.toThrow(
        'not installed: sudo apt-get install nats-server',
      );
    } finally {
      process.env.PATH = `${bin}:${pathBefore}`;
    }
  });
});
