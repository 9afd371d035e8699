import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { SERVICES, startSystem, Supervisor, type ProcessSpec, type System } from '../src/launcher';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Running, not a zombie waiting for a reaper (a container's PID 1 may never reap orphans). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const nodeSpec = (name: string, script: string): ProcessSpec => ({ name, command: process.execPath, args: ['-e', script], cwd: os.tmpdir(), env: process.env });
const fast = { initialMs: 50, maxMs: 200, resetAfterMs: 60_000 };

describe('Supervisor', () => {
  test('restarts a crashing process with a growing, capped backoff, and says so', async () => {
    const lines: string[] = [];
    const s = new Supervisor(nodeSpec('crasher', 'process.exit(3)'), (l) => lines.push(l), fast);
    s.start();
    try {
      await until('four restarts', () => s.restarts() >= 4);
    } finally {
      await s.stop(1000);
    }
    const delays = lines.filter((l) => l.startsWith('restarting')).slice(0, 4);
    expect(delays).toEqual([
      'restarting crasher in 0.05s (exit code 3)',
      'restarting crasher in 0.1s (exit code 3)',
      'restarting crasher in 0.2s (exit code 3)',
      'restarting crasher in 0.2s (exit code 3)',
    ]);
    const count = s.restarts();
    await sleep(300);
    expect(s.restarts()).toBe(count); // stopped means no more restarts
    expect(s.running()).toBe(false);
  });

  test('a killed process reports 128 + signal, as the kubelet, and comes back', async () => {
    const lines: string[] = [];
    const s = new Supervisor(nodeSpec('sleeper', 'console.log("up"); setInterval(() => {}, 1000)'), (l) => lines.push(l), fast);
    s.start();
    try {
      await until('first start', () => lines.includes('up'));
      const first = s.pid()!;
      s.kill('SIGKILL');
      await until('a new process', () => s.running() && s.pid() !== first && lines.filter((l) => l === 'up').length === 2);
      expect(lines).toContain('restarting sleeper in 0.05s (exit code 137)');
      expect(alive(first)).toBe(false);
    } finally {
      await s.stop(1000);
    }
  });

  test('stop ends the whole process group, SIGKILLing what ignores SIGTERM', async () => {
    const lines: string[] = [];
    // A leader whose child ignores SIGTERM: what npm → nodemon → ts-node looks like in dev mode.
    const grandchild = `process.on('SIGTERM', () => {}); console.log('grandchild ' + process.pid); setInterval(() => {}, 1000)`;
    const leader = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'inherit' }); setInterval(() => {}, 1000)`;
    const s = new Supervisor(nodeSpec('family', leader), (l) => lines.push(l), fast);
    s.start();
    const leaderPid = s.pid()!;
    const line = await until('the grandchild', () => lines.find((l) => l.startsWith('grandchild ')));
    const grandPid = Number(line.split(' ')[1]);
    await s.stop(300);
    expect(alive(leaderPid)).toBe(false);
    expect(alive(grandPid)).toBe(false);
    expect(lines).toContain('family did not stop within 0.3s; killed');
    expect(lines.some((l) => l.startsWith('restarting'))).toBe(false);
  });
});

// ---- startSystem against stand-in services: the wiring, routing, restarts and shutdown, in seconds ----

// Each stand-in answers every request with who it is and what it was given; /readyz is 503 while ./not-ready exists.
const STAND_IN = `
const http = require('http');
const name = require('path').basename(process.cwd());
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/readyz' && require('fs').existsSync('not-ready')) return res.writeHead(503).end('{}');
  const e = process.env;
  res.end(JSON.stringify({ name, pid: process.pid, url: req.url, env: { PORT: e.PORT, HOST: e.HOST, EVENT_BUS_URL: e.EVENT_BUS_URL, SUBSCRIBERS: e.SUBSCRIBERS, EVENT_LOG_PATH: e.EVENT_LOG_PATH, EXTRA: e.EXTRA } }));
});
server.listen(Number(process.env.PORT), process.env.HOST);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function fakeRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'launcher-test-'));
  cpSync(path.resolve(__dirname, '../../infra/k8s'), path.join(root, 'infra', 'k8s'), { recursive: true });
  for (const s of SERVICES) {
    mkdirSync(path.join(root, s, 'dist'), { recursive: true });
    writeFileSync(path.join(root, s, 'dist', 'index.js'), STAND_IN);
  }
  return root;
}

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
    system = await startSystem({ root, dataDir: path.join(root, 'data'), quiet: true, env: { moderation: { EXTRA: 'yes' } }, backoff: fast });
    const { ports } = system;
    expect(new Set(Object.values(ports)).size).toBe(SERVICES.length + 1);

    const query = (await getJson(`${system.url}/posts`)).body;
    expect(query).toMatchObject({ name: 'query', env: { PORT: String(ports.query), HOST: '127.0.0.1', EVENT_BUS_URL: `http://127.0.0.1:${ports['event-bus']}` } });
    expect((await getJson(`${system.url}/POSTS/create`, 'localhost')).body.name).toBe('posts');
    expect((await getJson(`${system.url}/posts/p1/comments`)).body.name).toBe('comments');
    expect((await getJson(`${system.url}/`)).body.name).toBe('client');
    expect((await getJson(`${system.url}/`, 'example.com')).status).toBe(404);

    const bus = (await getJson(`http://127.0.0.1:${ports['event-bus']}/`)).body;
    expect(bus.env.SUBSCRIBERS.split(',')).toEqual(['posts', 'comments', 'query', 'moderation'].map((s) => `http://127.0.0.1:${ports[s as 'posts']}/events`));
    expect(bus.env.EVENT_LOG_PATH).toBe(path.join(root, 'data', 'events.ndjson'));
    expect((await getJson(`http://127.0.0.1:${ports.moderation}/`)).body.env.EXTRA).toBe('yes');
    expect((await getJson(`http://127.0.0.1:${ports.client}/`)).body.env.EVENT_BUS_URL).toBeUndefined();

    const before = system.pid('posts')!;
    system.kill('posts');
    await until('posts restarted', () => system!.restarts('posts') === 1);
    await system.waitReady(20_000);
    expect((await getJson(`${system.url}/posts/create`)).body.pid).not.toBe(before);
    expect(system.logs().join('\n')).toMatch(/restarting posts in 0\.05s \(exit code 137\)/);

    const pids = SERVICES.map((s) => system!.pid(s)!);
    await system.stop();
    expect(pids.filter(alive)).toEqual([]);
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

  test('a launcher that gets SIGINT on its process group (Ctrl-C) leaves nothing behind', async () => {
    const script = `require(${JSON.stringify(path.resolve(__dirname, '../src/launcher'))})
      .startSystem({ root: ${JSON.stringify(root)}, dataDir: ${JSON.stringify(path.join(root, 'data'))}, quiet: true })
      .then((s) => console.log(JSON.stringify(${JSON.stringify(SERVICES)}.map((n) => s.pid(n)))));`;
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
