/** State in a database: each backend built from a written log, query rebuilt and SIGKILLed, memory, the first page, on both homes. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { until } from '@posts/kit/testing';
import { freePorts, request, ROOT, SERVICE_NAMES, startSystem, type ServiceName, type System } from '@posts/runtime';
import { blogEvents, writeEnvelopes } from './catch-up';
import { METRICS_CONTAINER_PORT } from './observability';
import { cpuSeconds, httpGet, memoryMB, startProcess } from './processes';
import { concurrently } from './publishers';
import { measurePage, READS } from './read-path';

export const BACKENDS = ['posts', 'comments', 'query', 'moderation'] as const;
export type Backend = (typeof BACKENDS)[number];
export const HOMES = ['embedded', 'PostgreSQL'] as const;
export type Home = (typeof HOMES)[number];
type PerBackend = Record<Backend, number>;

export type StateResult = Awaited<ReturnType<typeof measureState>>;
export type StateRun = { home: Home; comments: number; result?: StateResult; error?: string };
export type StateResults = { runs: StateRun[]; postgresNotRun?: string };

/** The server the PostgreSQL home makes its databases on. */
export const postgresAdminUrl = () => process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
export const POSTGRES_NOT_RUN = 'set BENCH_DATABASE_URL';

async function asAdmin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(statement).finally(() => client.end());
}

/** `run` with a fresh PostgreSQL database for each backend, passed as each one's DATABASE_URL; the databases are dropped after. */
export async function onPostgres<T>(adminUrl: string, run: (env: Partial<Record<ServiceName, NodeJS.ProcessEnv>>) => Promise<T>): Promise<T> {
  const suffix = randomUUID().slice(0, 8);
  const env: Partial<Record<ServiceName, NodeJS.ProcessEnv>> = {};
  try {
    for (const b of BACKENDS) {
      await asAdmin(adminUrl, `create database bench_${b}_${suffix}`);
      const url = new URL(adminUrl);
      url.pathname = `/bench_${b}_${suffix}`;
      env[b] = { DATABASE_URL: url.toString() };
    }
    return await run(env);
  } finally {
    await Promise.all(BACKENDS.map((b) => asAdmin(adminUrl, `drop database if exists bench_${b}_${suffix} with (force)`)));
  }
}

/** A backend's db_size_bytes from its /metrics, MB. */
async function dbMB(system: System, b: Backend): Promise<number> {
  const { body } = await httpGet(system.pods(b)[0].ports[METRICS_CONTAINER_PORT], '/metrics');
  return Math.round(Number(/^db_size_bytes\{[^}]*\} (\S+)$/m.exec(body)?.[1] ?? NaN) / 104857.6) / 10;
}

const perBackend = async (f: (b: Backend) => number | Promise<number>) =>
  Object.fromEntries(await Promise.all(BACKENDS.map(async (b) => [b, await f(b)]))) as PerBackend;
const since = (t: number) => (performance.now() - t) / 1000;

/** query alone replays the whole log: POST /rebuild, then GET /rebuild until it is done; events/s. */
async function rebuildQuery(port: number): Promise<number> {
  const url = new URL(`http://127.0.0.1:${port}`);
  const t = performance.now();
  const asked = await request(false, url, 'POST', '/rebuild');
  if (asked.status !== 202) throw new Error(`POST /rebuild answered ${asked.status}`);
  const progress = async () => JSON.parse((await request(false, url, 'GET', '/rebuild')).body) as { rebuilding: boolean; lastSeq: number };
  const done = await until('query to be rebuilt', async () => ((p) => !p.rebuilding && p)(await progress()), 1_800_000, 50);
  return Math.round(done.lastSeq / since(t));
}

/** The whole system on a log of `comments` comments over `posts` posts, its backends' state at `home` (PostgreSQL: on `adminUrl`'s server). */
export function runState(o: { workDir: string; posts: number; comments: number; home: Home; adminUrl?: string }): Promise<StateResult> {
  return o.home === 'PostgreSQL' ? onPostgres(o.adminUrl!, (env) => measureState(o, env)) : measureState(o, {});
}

async function measureState(o: { workDir: string; posts: number; comments: number; home: Home }, databases: Partial<Record<ServiceName, NodeJS.ProcessEnv>>) {
  const dataDir = mkdtempSync(path.join(o.workDir, `state-${o.home}-${o.comments}-`));
  const { events, bytes } = writeEnvelopes(path.join(dataDir, 'events.ndjson'), blogEvents(o.posts, o.comments));
  // The backends at their manifests' level (info): their logs say when each listened, caught up and resumed.
  const env = Object.fromEntries(SERVICE_NAMES.map((s) => [s, { LOG_LEVEL: (BACKENDS as readonly string[]).includes(s) ? 'info' : 'warn', ...databases[s] }]));
  const seen: Array<{ line: string; at: number }> = [];
  const log = (line: string) => /"msg":"(listening|caught up|resumed at)|started query, pid/.test(line) && seen.push({ line, at: performance.now() });
  const timeOf = (b: Backend, msg: string) =>
    Number(/"time":(\d+)/.exec(seen.find((s) => s.line.startsWith(`[${b}]`) && s.line.includes(msg))?.line ?? '')?.[1]);
  const t0 = performance.now();
  const system = await startSystem({ dataDir, env, log, readyTimeoutMs: 1_800_000, onSignal: () => process.exit(130) });
  try {
    // Each backend applied the whole log before its /readyz said 200; its events/s from its own log's 'listening' to 'caught up'.
    const buildSeconds = Math.round(since(t0) * 100) / 100;
    const buildEventsPerSecond = await perBackend((b) => Math.round(events / ((timeOf(b, 'caught up') - timeOf(b, '"listening"')) / 1000)));
    const dbSizes = await perBackend((b) => dbMB(system, b));
    const rebuildEventsPerSecond = await rebuildQuery(system.ports.query);
    // SIGKILLed: the supervisor starts it again, as the kubelet would; timed from the new process's spawn.
    const before = seen.length;
    system.kill('query', 'SIGKILL');
    const spawned = await until('query to start again', () => seen.slice(before).find((s) => s.line.includes('started query, pid'))?.at, 30_000, 2);
    await until('query to be ready', async () => (await httpGet(system.ports.query, '/readyz', 1000)).status === 200, 60_000, 5);
    const resumeSeconds = Math.round(since(spawned) * 1000) / 1000;
    const resumedLogged = seen.slice(before).some((s) => s.line.startsWith('[query]') && s.line.includes('"msg":"resumed at seq'));
    // The others resume too: the memory read is of processes that resumed, as after any restart.
    BACKENDS.filter((b) => b !== 'query').forEach((b) => system.kill(b, 'SIGKILL'));
    await until('every backend to start again', () => BACKENDS.every((b) => system.restarts(b) > 0 && system.pid(b)), 30_000, 20);
    await system.waitReady(120_000);
    await measurePage(system.ports.ingress, READS.warmup, READS.clients);
    const page = await measurePage(system.ports.ingress, READS.page, READS.clients);
    // After every backend resumed and the first page's reads.
    const rssMB = await perBackend((b) => memoryMB(system.pid(b)).rss);
    const logMB = Math.round(bytes / 104857.6) / 10;
    const built = { buildSeconds, buildEventsPerSecond, rebuildEventsPerSecond };
    return { comments: o.comments, events, logMB, ...built, resumeSeconds, resumedLogged, dbMB: dbSizes, rssMB, page };
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The smallest Express service there is: express.json, and a POST answered 201. */
const BARE_EXPRESS = `const app = require('express')(); app.use(require('express').json());
app.post('/comments', (req, res) => res.status(201).json({ id: req.body.id }));
app.listen(Number(process.env.PORT), '127.0.0.1');`;

/** E: POSTs per CPU second of one bare Express process (its ceiling on a core of its own) from `clients` keep-alive clients, after a tenth as many untimed. */
export async function expressCeiling(clients: number, requests = 20_000): Promise<{ perCpuSecond: number; perSecond: number; errors: number }> {
  const [port] = await freePorts(1);
  const spec = { name: 'express', command: process.execPath, args: ['-e', BARE_EXPRESS], cwd: ROOT, env: { ...process.env, PORT: String(port) } };
  const server = await startProcess(spec, async () => (await httpGet(port, '/', 1000)).status === 404, 10_000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const url = new URL(`http://127.0.0.1:${port}`);
  const post = async () => {
    const { status } = await request(agent, url, 'POST', '/comments', { id: randomUUID(), content: 'great post' });
    return status === 201 ? undefined : String(status);
  };
  try {
    await concurrently(requests / 10, clients, post);
    const cpu = cpuSeconds(server.pid());
    const { accepted, perSecond, errors } = await concurrently(requests, clients, post);
    return { perCpuSecond: Math.round(accepted / (cpuSeconds(server.pid()) - cpu)), perSecond, errors };
  } finally {
    agent.destroy();
    await server.stop();
  }
}
