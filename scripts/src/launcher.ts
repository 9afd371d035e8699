/**
 * Runs the whole system on one machine: six service processes on free loopback ports behind the local ingress,
 * restarted when they die (as `restartPolicy: Always`), all stopped together. Used by `npm start`, the browser
 * test and the fault/load tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { createIngress, Endpoints, loadRoutes } from './ingress';

export const SERVICES = ['event-bus', 'posts', 'comments', 'query', 'moderation', 'client'] as const;
export type ServiceName = (typeof SERVICES)[number];
const BACKENDS = ['posts', 'comments', 'query', 'moderation'] as const;

/** The repository root (this file runs from scripts/src under ts-jest and from scripts/dist after the build). */
export const ROOT = path.resolve(__dirname, '../..');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------- one supervised process ----------

export interface Backoff {
  /** First restart delay (default 500 ms), doubled after each crash... */
  initialMs: number;
  /** ...up to this cap (default 10 s)... */
  maxMs: number;
  /** ...and back to the first delay once a process stayed up this long (default 10 s). */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 10_000, resetAfterMs: 10_000 };

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Signals a whole process group; false when the group is gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function pipeLines(stream: Readable, write: (line: string) => void): void {
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', write);
}

const seconds = (ms: number) => `${ms / 1000}s`;

/**
 * A process kept running: each start gets its own process group, so it and whatever it spawns
 * (npm → nodemon → ts-node in dev mode) are signalled together, and a Ctrl-C to the terminal
 * reaches only the launcher, which then stops everything in order.
 */
export class Supervisor {
  private child?: ChildProcess;
  private pgid?: number;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private delay: number;
  private startedAt = 0;
  private restartCount = 0;
  private exitWaiters: Array<() => void> = [];

  constructor(
    readonly spec: ProcessSpec,
    private readonly log: (line: string) => void,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
  ) {
    this.delay = backoff.initialMs;
  }

  start(): void {
    const { name, command, args, cwd, env } = this.spec;
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.pgid = child.pid;
    this.startedAt = Date.now();
    pipeLines(child.stdout!, this.log);
    pipeLines(child.stderr!, this.log);
    child.on('error', (err) => {
      this.log(`cannot start ${name}: ${err.message}`);
      if (child.pid === undefined) this.onExit(child, 127, null); // spawn failed: there will be no 'exit'
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.exitWaiters.splice(0).forEach((wake) => wake());
    if (this.stopping) return; // stop() watches the rest of the group
    // Whatever the leader left behind (nodemon's child in dev mode) must not hold the port for the next start.
    if (this.pgid !== undefined) signalGroup(this.pgid, 'SIGKILL');
    this.pgid = undefined;

    // Reported as the kubelet does: a death by signal is 128 + its number (137 for SIGKILL).
    const exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
    if (Date.now() - this.startedAt >= this.backoff.resetAfterMs) this.delay = this.backoff.initialMs;
    this.log(`restarting ${this.spec.name} in ${seconds(this.delay)} (exit code ${exitCode})`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restartCount++;
      this.start();
    }, this.delay);
    this.delay = Math.min(this.delay * 2, this.backoff.maxMs);
  }

  /** True while a started process is alive (not while it waits for a restart). */
  running(): boolean {
    return this.child !== undefined;
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  restarts(): number {
    return this.restartCount;
  }

  /** Signals the process group; unless stopping, the exit counts as a crash and restarts. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child && this.pgid !== undefined) signalGroup(this.pgid, signal);
  }

  /** SIGTERM to the group, then SIGKILL for whatever is still there after `graceMs`. No restart after this. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const pgid = this.pgid;
    if (pgid === undefined) return;
    const exited = this.child ? new Promise<void>((resolve) => this.exitWaiters.push(resolve)) : Promise.resolve();
    signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (signalGroup(pgid, 0) && Date.now() < deadline) await sleep(50);
    if (signalGroup(pgid, 'SIGKILL')) {
      this.log(`${this.spec.name} did not stop within ${seconds(graceMs)}; killed`);
      const killedBy = Date.now() + 2000; // SIGKILL is not instant: wait until the group is really gone
      while (signalGroup(pgid, 0) && Date.now() < killedBy) await sleep(20);
    }
    await exited;
  }

  /** For process 'exit' handlers, which cannot wait: kill at once. */
  killNow(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.pgid !== undefined) signalGroup(this.pgid, 'SIGKILL');
  }
}

// ---------- the whole system ----------

export interface StartOptions {
  /** The ingress port; 0 (the default) picks a free one. */
  port?: number;
  /** Where the ingress listens (default 127.0.0.1). */
  host?: string;
  /** Repository root (default: this checkout). */
  root?: string;
  /** Where the event log lives (default $DATA_DIR, else <root>/.data). */
  dataDir?: string;
  /** Extra environment per service, applied last. */
  env?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /** More event endpoints for the bus to deliver to, after the four services (tests' doubles). */
  extraSubscribers?: string[];
  /** Where log lines go (default stdout), each prefixed with its source, e.g. `[posts] …`. */
  log?: (line: string) => void;
  /** Keep the logs out of sight (tests); the recent lines stay available from `logs()` and in startup errors. */
  quiet?: boolean;
  /** nodemon + ts-node for the services and Vite's dev server for the client. */
  dev?: boolean;
  /** How long start-up may take (default 60 s, 180 s in dev mode). */
  readyTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace when stopping (default 5 s). */
  stopGraceMs?: number;
  backoff?: Backoff;
  /** Called after a SIGINT/SIGTERM/SIGHUP to this process stopped everything; default: die of the same signal. */
  onSignal?: (signal: NodeJS.Signals) => void;
}

export type Ports = Record<ServiceName | 'ingress', number>;

export interface System {
  /** The ingress, e.g. http://localhost:8080 (requests with Host localhost route as posts.com). */
  url: string;
  ports: Ports;
  dataDir: string;
  /** Stops the ingress and every service; nothing is left running. Safe to call twice. */
  stop(): Promise<void>;
  /** Signals one service's process group (default SIGKILL); it is restarted like a crash. */
  kill(name: ServiceName, signal?: NodeJS.Signals): void;
  /** How many times a service was restarted. */
  restarts(name: ServiceName): number;
  pid(name: ServiceName): number | undefined;
  /** Resolves once every service's readiness probe (/readyz) passed and the ingress routes to it. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** The most recent log lines (kept in quiet mode too). */
  logs(): string[];
}

/** Free loopback ports, all held at once so they are distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function npmCommand(args: string[]): { command: string; args: string[] } {
  // Under `npm run`, use the very npm that runs us; otherwise the one on PATH.
  const npm = process.env.npm_execpath;
  return npm && npm.endsWith('.js') ? { command: process.execPath, args: [npm, ...args] } : { command: 'npm', args };
}

function specFor(
  name: ServiceName,
  o: { root: string; dev: boolean; ports: Ports; dataDir: string; env?: StartOptions['env']; extraSubscribers?: string[] },
): ProcessSpec {
  const cwd = path.join(o.root, name);
  const bus = `http://127.0.0.1:${o.ports['event-bus']}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(o.ports[name]),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  if (name === 'event-bus') {
    env.SUBSCRIBERS = [...BACKENDS.map((b) => `http://127.0.0.1:${o.ports[b]}/events`), ...(o.extraSubscribers ?? [])].join(',');
    env.EVENT_LOG_PATH = path.join(o.dataDir, 'events.ndjson');
  } else if (name !== 'client') {
    env.EVENT_BUS_URL = bus;
  }
  Object.assign(env, o.env?.[name]);
  // The services' dev scripts: nodemon + ts-node for the backends, Vite for the client.
  const { command, args } = o.dev ? npmCommand(['run', '--silent', 'dev']) : { command: process.execPath, args: ['dist/index.js'] };
  return { name, command, args, cwd, env };
}

/** Starts the ingress and the six services and resolves once all of them are ready. */
export async function startSystem(options: StartOptions = {}): Promise<System> {
  const root = options.root ?? ROOT;
  const dev = options.dev ?? false;
  const dataDir = path.resolve(options.dataDir ?? process.env.DATA_DIR ?? path.join(root, '.data'));
  const readyTimeoutMs = options.readyTimeoutMs ?? (dev ? 180_000 : 60_000);
  const graceMs = options.stopGraceMs ?? 5000;

  const recent: string[] = [];
  const width = Math.max(...SERVICES.map((s) => s.length)) + 2;
  const sink = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const logAs = (source: string) => (line: string) => {
    const prefixed = `[${source}]`.padEnd(width) + ' ' + line;
    recent.push(prefixed);
    if (recent.length > 300) recent.shift();
    if (!options.quiet) sink(prefixed);
  };
  const say = logAs('launcher');

  const table = loadRoutes(path.join(root, 'infra', 'k8s'));
  // Vite's dev server has no /readyz; its index page says it is serving.
  const clientProbe = table.probes.get('client');
  if (dev && clientProbe) table.probes.set('client', { ...clientProbe, path: '/' });
  if (!dev) {
    const missing = SERVICES.filter((s) => !existsSync(path.join(root, s, 'dist', 'index.js')));
    if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} (run npm run build)`);
  }
  mkdirSync(dataDir, { recursive: true });

  const supervisors = new Map<ServiceName, Supervisor>();
  const servicePorts = await freePorts(SERVICES.length);
  const ports = { ingress: 0 } as Ports;
  SERVICES.forEach((s, i) => (ports[s] = servicePorts[i]));

  // A restart counts as a new instance: not ready until its probe passes again.
  const endpoints = new Endpoints(table.probes, (w) => {
    const s = supervisors.get(w as ServiceName);
    return s?.running() ? { port: ports[w as ServiceName], instance: s.restarts() } : undefined;
  });
  // The ingress comes first: a taken port fails before any process exists.
  const ingress = createIngress({ table, endpoints });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    ingress.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${options.port} is in use; choose another with PORT=…`) : err),
    );
    ingress.listen(options.port ?? 0, host, () => resolve());
  });
  ports.ingress = (ingress.address() as AddressInfo).port;

  let stopped: Promise<void> | undefined;
  const killAll = () => supervisors.forEach((s) => s.killNow());
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopped) return; // npm forwards the terminal's Ctrl-C too: one shutdown is enough
    say(`${signal}: stopping`);
    void stop().then(() => {
      if (options.onSignal) return options.onSignal(signal);
      process.kill(process.pid, signal); // our handlers are gone now: die of it, as without us
    });
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  signals.forEach((s) => process.on(s, onSignal));
  process.on('exit', killAll);

  function stop(): Promise<void> {
    stopped ??= (async () => {
      ingress.close();
      ingress.closeAllConnections();
      // The reverse of the start order: the bus last, so the others can finish talking to it.
      const [bus, ...rest] = [...supervisors.values()];
      await Promise.all(rest.map((s) => s.stop(graceMs)));
      await bus?.stop(graceMs);
      signals.forEach((s) => process.removeListener(s, onSignal));
      process.removeListener('exit', killAll);
      say('stopped');
    })();
    return stopped;
  }

  const launch = (name: ServiceName) => {
    const s = new Supervisor(specFor(name, { root, dev, ports, dataDir, env: options.env, extraSubscribers: options.extraSubscribers }), logAs(name), options.backoff);
    supervisors.set(name, s);
    s.start();
  };

  /** Resolves once the ingress counts every one of `names` as ready, i.e. its readiness probe passed. */
  async function waitReady(timeoutMs = readyTimeoutMs, names: readonly ServiceName[] = SERVICES): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let waiting = [...names];
    for (;;) {
      // Probed now rather than on the next period, as the kubelet does for a container that is not ready yet.
      await Promise.all(waiting.map((n) => endpoints.probe(n)));
      waiting = waiting.filter((n) => !endpoints.ready(n));
      if (waiting.length === 0) return;
      if (stopped) throw new Error('the system was stopped');
      if (Date.now() > deadline) {
        throw new Error(`not ready after ${seconds(timeoutMs)}: ${waiting.join(', ')}\nrecent logs:\n${recent.slice(-60).join('\n')}`);
      }
      await sleep(200);
    }
  }

  try {
    // The bus first: the others read the log from it before they say they are ready.
    launch('event-bus');
    await waitReady(readyTimeoutMs, ['event-bus']);
    SERVICES.filter((s) => s !== 'event-bus').forEach(launch);
    await waitReady();
  } catch (err) {
    await stop();
    throw err;
  }

  const get = (name: ServiceName) => {
    const s = supervisors.get(name);
    if (!s) throw new Error(`no service ${name}`);
    return s;
  };
  say(`ready: ingress :${ports.ingress}, ${SERVICES.map((s) => `${s} :${ports[s]}`).join(', ')}; data in ${dataDir}`);
  return {
    url: `http://localhost:${ports.ingress}`,
    ports,
    dataDir,
    stop,
    kill: (name, signal) => get(name).kill(signal),
    restarts: (name) => get(name).restarts(),
    pid: (name) => get(name).pid(),
    waitReady: (timeoutMs) => waitReady(timeoutMs),
    logs: () => [...recent],
  };
}
