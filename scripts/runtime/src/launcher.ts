/**
 * Runs the whole system on one machine: every service of the registry as a process on a free loopback port,
 * behind the local ingress, with the environment its Deployment in infra/k8s gives it; restarted when it dies
 * (as `restartPolicy: Always`), all stopped together. Used by `npm start`, the bench and the end-to-end suites.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createIngress, Endpoints, loadRoutes } from './ingress';
import { loadEnvironments } from './manifests';
import { freePorts } from './ports';
import { SERVICE_NAMES, type ServiceName } from './registry';
import { ROOT } from './root';
import { busSecretIn } from './secrets';
import { Supervisor, type Backoff, type ProcessSpec } from './supervisor';
import { sleep } from './wait';

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
  /** More event endpoints for the bus to deliver to, after the subscribers its manifest names (tests' doubles). */
  extraSubscribers?: string[];
  /** Where log lines go (default stdout), each prefixed with its source, e.g. `[posts] …`. */
  log?: (line: string) => void;
  /** Keep the logs out of sight (tests); the recent lines stay available from `logs()` and in startup errors. */
  quiet?: boolean;
  /** nodemon + ts-node for the services and Vite's dev server for the client. */
  dev?: boolean;
  /** The ingress keeps each Ingress's `limit-rps` budget (429 past it), as ingress-nginx; off by default. */
  limit?: boolean;
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
  /** Stops one service (SIGTERM, SIGKILL after the grace) and keeps it down until startService(). */
  stopService(name: ServiceName): Promise<void>;
  /** Starts a stopped service again: a new instance, not ready until its readiness probe passes. */
  startService(name: ServiceName): void;
  /** How many times a service was started again, after a crash or a stopService(). */
  restarts(name: ServiceName): number;
  pid(name: ServiceName): number | undefined;
  /** Resolves once every service's readiness probe (/readyz) passed and the ingress routes to it. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** The most recent log lines (kept in quiet mode too). */
  logs(): string[];
}

function npmCommand(args: string[]): { command: string; args: string[] } {
  // Under `npm run`, use the very npm that runs us; otherwise the one on PATH.
  const npm = process.env.npm_execpath;
  return npm && npm.endsWith('.js') ? { command: process.execPath, args: [npm, ...args] } : { command: 'npm', args };
}

interface SpecInputs {
  root: string;
  dev: boolean;
  port: number;
  dataDir: string;
  /** From its Deployment, cluster hosts already pointed at loopback. */
  manifestEnv: Record<string, string>;
  extraSubscribers?: string[];
  env?: NodeJS.ProcessEnv;
}

function specFor(name: ServiceName, o: SpecInputs): ProcessSpec {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...o.manifestEnv,
    // Local only: loopback, a port of its own, the caller's log level.
    PORT: String(o.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  // The manifest's path is the pod's volume; locally the log lives in the data folder.
  if (o.manifestEnv.EVENT_LOG_PATH !== undefined) env.EVENT_LOG_PATH = path.join(o.dataDir, 'events.ndjson');
  if (o.manifestEnv.SUBSCRIBERS !== undefined && o.extraSubscribers?.length) {
    env.SUBSCRIBERS = [o.manifestEnv.SUBSCRIBERS, ...o.extraSubscribers].join(',');
  }
  Object.assign(env, o.env);
  // The services' dev scripts: nodemon + ts-node for the backends, Vite for the client.
  const { command, args } = o.dev ? npmCommand(['run', '--silent', 'dev']) : { command: process.execPath, args: ['dist/index.js'] };
  return { name, command, args, cwd: path.join(o.root, name), env };
}

/** Starts the ingress and every service and resolves once all of them are ready. */
export async function startSystem(options: StartOptions = {}): Promise<System> {
  const root = options.root ?? ROOT;
  const dev = options.dev ?? false;
  const dataDir = path.resolve(options.dataDir ?? process.env.DATA_DIR ?? path.join(root, '.data'));
  const readyTimeoutMs = options.readyTimeoutMs ?? (dev ? 180_000 : 60_000);
  const graceMs = options.stopGraceMs ?? 5000;

  const recent: string[] = [];
  const width = Math.max(...SERVICE_NAMES.map((s) => s.length)) + 2;
  const sink = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const logAs = (source: string) => (line: string) => {
    const prefixed = `[${source}]`.padEnd(width) + ' ' + line;
    recent.push(prefixed);
    if (recent.length > 300) recent.shift();
    if (!options.quiet) sink(prefixed);
  };
  const say = logAs('launcher');

  const k8sDir = path.join(root, 'infra', 'k8s');
  const table = loadRoutes(k8sDir);
  // Vite's dev server has no /readyz; its index page says it is serving.
  const clientProbe = table.probes.get('client');
  if (dev && clientProbe) table.probes.set('client', { ...clientProbe, path: '/' });
  if (!dev) {
    const missing = SERVICE_NAMES.filter((s) => !existsSync(path.join(root, s, 'dist', 'index.js')));
    if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} (run npm run build)`);
  }
  mkdirSync(dataDir, { recursive: true });

  const supervisors = new Map<ServiceName, Supervisor>();
  const servicePorts = await freePorts(SERVICE_NAMES.length);
  const ports = { ingress: 0 } as Ports;
  SERVICE_NAMES.forEach((s, i) => (ports[s] = servicePorts[i]));
  // Every spec before any process: a service without a Deployment fails here. The bus and its clients
  // take BUS_SECRET from the Secret bus-secret, which locally is the one kept in the data folder.
  const environments = loadEnvironments(k8sDir, ports, { 'bus-secret': { BUS_SECRET: busSecretIn(dataDir) } });
  const specs = new Map(
    SERVICE_NAMES.map((name) => {
      const manifestEnv = environments.get(name);
      if (!manifestEnv) throw new Error(`${name} has no Deployment (pod label app: ${name}) in ${k8sDir}`);
      return [
        name,
        specFor(name, { root, dev, port: ports[name], dataDir, manifestEnv, extraSubscribers: options.extraSubscribers, env: options.env?.[name] }),
      ];
    }),
  );

  // A restart counts as a new instance: not ready until its probe passes again.
  const endpoints = new Endpoints(table.probes, (w) => {
    const s = supervisors.get(w as ServiceName);
    return s?.running() ? { port: ports[w as ServiceName], instance: s.restarts() } : undefined;
  });
  // The ingress comes first: a taken port fails before any process exists.
  const ingress = createIngress({ table, endpoints, limit: options.limit });
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
    const s = new Supervisor(specs.get(name)!, logAs(name), options.backoff);
    supervisors.set(name, s);
    s.start();
  };

  /** Resolves once the ingress counts every one of `names` as ready, i.e. its readiness probe passed. */
  async function waitReady(timeoutMs = readyTimeoutMs, names: readonly ServiceName[] = SERVICE_NAMES): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let waiting = [...names];
    for (;;) {
      // Probed now rather than on the next period, as the kubelet does for a container that is not ready yet.
      await Promise.all(waiting.map((n) => endpoints.probe(n)));
      waiting = waiting.filter((n) => !endpoints.ready(n));
      if (waiting.length === 0) return;
      if (stopped) throw new Error('the system was stopped');
      if (Date.now() > deadline) {
        throw new Error(`not ready after ${timeoutMs / 1000}s: ${waiting.join(', ')}\nrecent logs:\n${recent.slice(-60).join('\n')}`);
      }
      await sleep(200);
    }
  }

  try {
    // The bus first: the others read the log from it before they say they are ready.
    launch('event-bus');
    await waitReady(readyTimeoutMs, ['event-bus']);
    SERVICE_NAMES.filter((s) => s !== 'event-bus').forEach(launch);
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
  say(`ready: ingress :${ports.ingress}, ${SERVICE_NAMES.map((s) => `${s} :${ports[s]}`).join(', ')}; data in ${dataDir}`);
  return {
    url: `http://localhost:${ports.ingress}`,
    ports,
    dataDir,
    stop,
    kill: (name, signal) => get(name).kill(signal),
    stopService: (name) => get(name).stop(graceMs),
    startService: (name) => get(name).start(),
    restarts: (name) => get(name).restarts(),
    pid: (name) => get(name).pid(),
    waitReady: (timeoutMs) => waitReady(timeoutMs),
    logs: () => [...recent],
  };
}
