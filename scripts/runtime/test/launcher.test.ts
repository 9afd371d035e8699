import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startSystem, type System } from '../src/launcher';
import { SERVICE_NAMES } from '../src/registry';
import { sleep, until } from '../src/wait';
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
  res.end(JSON.stringify({ name, pid: process.pid, url: req.url, env: { PORT: e.PORT, HOST: e.HOST, EVENT_BUS_URL: e.EVENT_BUS_URL, SUBSCRIBERS: e.SUBSCRIBERS, EVENT_LOG_PATH: e.EVENT_LOG_PATH, BANNED_WORDS: e.BANNED_WORDS, LOG_LEVEL: e.LOG_LEVEL, EXTRA: e.EXTRA, BUS_SECRET: e.BUS_SECRET } }));
});
server.listen(Number(process.env.PORT), process.env.HOST);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function fakeRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'launcher-test-'));
  cpSync(path.resolve(__dirname, '../../../infra/k8s'), path.join(root, 'infra', 'k8s'), { recursive: true });
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
    expect((await getJson(`http://127.0.0.1:${ports.client}/`)).body.env.EVENT_BUS_URL).toBeUndefined();

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
      expected = { 'event-bus': secret, posts: secret, comments: secret, query: secret, moderation: secret, client: undefined };
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
  });
});
