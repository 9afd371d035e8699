// The whole system on one machine as infra/k8s (or infra/k8s-nats) deploys it: a supervised process per pod on loopback, behind the local ingress.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createIngress, Endpoints, routesOf } from './ingress';
import * as k8s from './manifests';
import { installedNatsServer, NATS_INSTALL, natsNode, natsSetOf } from './nats';
import { freePorts } from './ports';
import { SERVICE_NAMES, type ServiceName } from './registry';
import { ROOT } from './root';
import { busSecretIn, natsUsersIn } from './secrets';
import { Supervisor, type Backoff, type ProcessSpec } from './supervisor';
import { sleep } from './wait';

export interface StartOptions {
  /** The ingress port; 0 (the default) picks a free one. */
  port?: number;
  root?: string;
  /** Default $DATA_DIR, else <root>/.data. */
  dataDir?: string;
  /** infra/k8s-nats: the log in NATS JetStream instead of the event bus. */
  nats?: boolean;
  /** Applied last, to every replica. */
  env?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /** Event endpoints the bus delivers to after its manifest's (tests' doubles). */
  extraSubscribers?: string[];
  /** Default stdout. */
  log?: (line: string) => void;
  /** Logs out of sight; `logs()` still has the recent lines. */
  quiet?: boolean;
  /** The workspaces' `npm run dev`: nodemon + ts-node, Vite for the client. */
  dev?: boolean;
  /** Default 60 s, 180 s in dev mode. */
  readyTimeoutMs?: number;
  backoff?: Backoff;
  /** After a SIGINT/SIGTERM/SIGHUP stopped everything; default: die of the same signal. */
  onSignal?: (signal: NodeJS.Signals) => void;
}

/** A service of the registry, or with `nats` the StatefulSet nats. */
export type WorkloadName = ServiceName | 'nats';

/** Each service's first replica's port; with `nats` the event bus has none. */
export type Ports = Record<ServiceName | 'ingress', number>;

/** A `replica` argument picks one; without it, every replica. */
export interface System {
  /** e.g. http://localhost:8080, which routes as posts.com. */
  url: string;
  ports: Ports;
  dataDir: string;
  pods(name: WorkloadName): k8s.LocalPod[];
  /** Nothing is left running. Safe to call twice. */
  stop(): Promise<void>;
  /** Signals the process groups (default SIGKILL); each is restarted like a crash. */
  kill(name: WorkloadName, signal?: NodeJS.Signals, replica?: number): void;
  /** Kept down until startService(). */
  stopService(name: WorkloadName, replica?: number): Promise<void>;
  /** A new instance, not ready until its probe passes. */
  startService(name: WorkloadName, replica?: number): void;
  restarts(name: WorkloadName, replica?: number): number;
  /** Default the first replica's. */
  pid(name: WorkloadName, replica?: number): number | undefined;
  /** Resolves once every replica's readiness probe passed. */
  waitReady(timeoutMs?: number): Promise<void>;
  logs(): string[];
}

interface Replica extends k8s.LocalPod {
  /** Where its readiness probe and the ingress's requests go. */
  port: number;
  supervisor: Supervisor;
}

/** Each pod's embedded database, in a folder of the data folder named after the pod. */
export const DATABASE_FILE = 'state.db';
/** In the data folder while the system runs: each pod's app and port. */
export const PODS_FILE = 'pods.json';

export async function startSystem(options: StartOptions = {}): Promise<System> {
  const root = options.root ?? ROOT;
  const dev = options.dev ?? false;
  const nats = options.nats ?? false;
  const dataDir = path.resolve(options.dataDir ?? process.env.DATA_DIR ?? path.join(root, '.data'));
  const readyTimeoutMs = options.readyTimeoutMs ?? (dev ? 180_000 : 60_000);

  const natsVersion = nats ? installedNatsServer() : undefined;
  if (nats && !natsVersion) throw new Error(`--nats runs NATS JetStream with nats-server, which is not installed: ${NATS_INSTALL}`);
  const k8sDir = path.join(root, 'infra', nats ? 'k8s-nats' : 'k8s');
  const docs = k8s.readManifests(k8sDir);
  const table = routesOf(docs, k8sDir);
  // Vite's dev server has no /readyz; its index page says it is serving.
  const clientProbe = table.probes.get('client');
  if (dev && clientProbe) table.probes.set('client', { ...clientProbe, path: '/' });
  // With nats, JetStream holds the log: there is no event bus.
  const serviceNames = SERVICE_NAMES.filter((s) => !(nats && s === 'event-bus'));
  if (!dev) {
    const missing = serviceNames.filter((s) => !existsSync(path.join(root, s, 'dist', 'index.js')));
    if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} (run npm run build)`);
  }
  mkdirSync(dataDir, { recursive: true });

  // What holds the log starts first and stops last.
  const logHolder: WorkloadName = nats ? 'nats' : 'event-bus';
  const names: WorkloadName[] = [logHolder, ...serviceNames.filter((s) => s !== logHolder)];
  const workloads = k8s.workloadsOf(docs);
  const plans = names.map((name) => {
    const workload = workloads.get(name);
    if (!workload) throw new Error(`${name} has no Deployment or StatefulSet (pod label app: ${name}) in ${k8sDir}`);
    return { name, workload, containerPorts: k8s.containerPortsOf(workload), podNames: k8s.podNamesOf(workload, name) };
  });
  // Every pod gets a free loopback port for each of its container ports.
  const free = await freePorts(plans.reduce((sum, p) => sum + p.podNames.length * p.containerPorts.length, 0));
  const pods = new Map<WorkloadName, k8s.LocalPod[]>(
    plans.map(({ name, containerPorts, podNames }) => [
      name,
      podNames.map((pod) => ({ name: pod, app: name, ports: Object.fromEntries(containerPorts.map((port) => [port, free.pop()!])) })),
    ]),
  );
  /** A pod's first container port, where a service listens (PORT) and a NATS node takes clients. */
  const mainPort = (pod: k8s.LocalPod) => pod.ports[k8s.containerPortsOf(workloads.get(pod.app))[0]];
  const services = k8s.servicesOf(docs);
  // The Secrets the manifests take values from, kept in the data folder: the bus's, or one password per NATS user.
  const secrets: k8s.Secrets = nats
    ? { 'nats-users': natsUsersIn(dataDir, k8s.secretKeysOf(docs, 'nats-users')) }
    : { 'bus-secret': { BUS_SECRET: busSecretIn(dataDir) } };
  const cluster: k8s.LocalCluster = { services, addresses: k8s.localAddresses(services, [...pods.values()].flat()), secrets };

  const recent: string[] = [];
  const width = Math.max(...[...pods.values()].flat().map((p) => p.name.length), 'launcher'.length) + 2;
  const sink = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const logAs = (source: string, hidden?: RegExp) => (line: string) => {
    if (hidden?.test(line)) return;
    const prefixed = `[${source}]`.padEnd(width) + ' ' + line;
    recent.push(prefixed);
    if (recent.length > 300) recent.shift();
    if (!options.quiet) sink(prefixed);
  };
  const say = logAs('launcher');
  // nats-server has no log level of its own: under LOG_LEVEL=warn (or quieter) its [INF] lines are left out, as the services leave theirs.
  const natsHidden = ['warn', 'error', 'fatal', 'silent'].includes(process.env.LOG_LEVEL ?? 'info') ? / \[INF\] / : undefined;

  const natsSet = nats ? natsSetOf(docs) : undefined;
  const leftOut = new Set<string>();
  const specOf = (name: WorkloadName, workload: k8s.Doc, pod: k8s.LocalPod): ProcessSpec => {
    if (name === 'nats') {
      const node = natsNode(pod, natsSet!, cluster, dataDir, natsVersion!);
      node.leftOut.forEach((option) => leftOut.add(option));
      return { ...node.spec, guard: true };
    }
    const manifestEnv = k8s.podEnvironment(workload, pod.name, cluster);
    // Local only: loopback, a port of its own, the caller's log level.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...manifestEnv,
      PORT: String(mainPort(pod)),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    };
    // A port the manifest names (PORT, METRICS_PORT, …) is one of the pod's container ports: locally, the loopback port it got.
    for (const [key, value] of Object.entries(manifestEnv)) {
      const local = pod.ports[Number(value)];
      if ((key === 'PORT' || key.endsWith('_PORT')) && local !== undefined) env[key] = String(local);
    }
    // The manifest's paths are the pod's volume; locally the log and each pod's database live in the data folder.
    if (manifestEnv.EVENT_LOG_PATH !== undefined) env.EVENT_LOG_PATH = path.join(dataDir, 'events.ndjson');
    if (manifestEnv.DATABASE_PATH !== undefined) env.DATABASE_PATH = path.join(dataDir, pod.name, DATABASE_FILE);
    if (manifestEnv.SUBSCRIBERS !== undefined && options.extraSubscribers?.length) {
      env.SUBSCRIBERS = [manifestEnv.SUBSCRIBERS, ...options.extraSubscribers].join(',');
    }
    Object.assign(env, options.env?.[name]);
    const { command, args } = dev ? { command: 'npm', args: ['run', '--silent', 'dev'] } : { command: process.execPath, args: ['dist/index.js'] };
    return { name: pod.name, command, args, cwd: path.join(root, name), env, guard: dev };
  };

  // Every spec before any process: a bad manifest or environment fails here.
  const replicas = new Map<WorkloadName, Replica[]>(
    plans.map(({ name, workload, containerPorts }) => [
      name,
      pods.get(name)!.map((pod): Replica => {
        const log = logAs(pod.name, name === 'nats' ? natsHidden : undefined);
        const port = pod.ports[table.probes.get(name)?.port ?? containerPorts[0]];
        return { ...pod, port, supervisor: new Supervisor(specOf(name, workload, pod), log, options.backoff) };
      }),
    ]),
  );
  const all = [...replicas.values()].flat();
  if (leftOut.size > 0) {
    say(
      `nats-server ${natsVersion!.join('.')} predates ${[...leftOut].join(', ')}: left out of nats.conf, so a node syncs its store to disk on its own schedule`,
    );
  }
  const replicasOf = (name: WorkloadName, replica?: number): Replica[] => {
    const every = replicas.get(name);
    if (!every) throw new Error(`${name} does not run here`);
    return replica === undefined ? every : [every[replica]];
  };

  // A restart counts as a new instance: not ready until its probe passes again.
  const endpoints = new Endpoints(table.probes, (w) =>
    (replicas.get(w as WorkloadName) ?? []).filter((r) => r.supervisor.running()).map((r) => ({ port: r.port, instance: r.supervisor.restarts() })),
  );
  // The ingress comes first: a taken port fails before any process exists.
  const ingress = createIngress({ table, endpoints });
  await new Promise<void>((resolve, reject) => {
    ingress.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${options.port} is in use; choose another with PORT=…`) : err),
    );
    ingress.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const ports = { ingress: (ingress.address() as AddressInfo).port } as Ports;
  for (const s of serviceNames) ports[s] = mainPort(pods.get(s)![0]);

  let stopped: Promise<void> | undefined;
  const killAll = () => all.forEach((r) => r.supervisor.killNow());
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
      // The reverse of the start order: the log last, so the others can finish talking to it.
      await Promise.all(all.filter((r) => r.app !== logHolder).map((r) => r.supervisor.stop()));
      await Promise.all(replicasOf(logHolder).map((r) => r.supervisor.stop()));
      signals.forEach((s) => process.removeListener(s, onSignal));
      process.removeListener('exit', killAll);
      rmSync(path.join(dataDir, PODS_FILE), { force: true });
      say('stopped');
    })();
    return stopped;
  }

  async function waitReady(timeoutMs = readyTimeoutMs, waitFor: readonly WorkloadName[] = names): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let waiting = [...waitFor];
    for (;;) {
      // Probed now rather than on the next period, as the kubelet does for a container that is not ready yet.
      await Promise.all(waiting.map((n) => endpoints.probe(n)));
      waiting = waiting.filter((n) => endpoints.ready(n).length < replicasOf(n).length);
      if (waiting.length === 0) return;
      if (stopped) throw new Error('the system was stopped');
      if (Date.now() > deadline) {
        throw new Error(`not ready after ${timeoutMs / 1000}s: ${waiting.join(', ')}\nrecent logs:\n${recent.slice(-60).join('\n')}`);
      }
      await sleep(200);
    }
  }

  try {
    if (nats) {
      say(`NATS JetStream holds the log: nats-server ${natsVersion!.join('.')}, ${replicasOf('nats').length} nodes, stores in ${path.join(dataDir, 'nats')}`);
    }
    // The log first: the others read it before they say they are ready. A NATS cluster's nodes start together, as its StatefulSet's.
    replicasOf(logHolder).forEach((r) => r.supervisor.start());
    await waitReady(readyTimeoutMs, [logHolder]);
    all.filter((r) => r.app !== logHolder).forEach((r) => r.supervisor.start());
    await waitReady();
  } catch (err) {
    await stop();
    throw err;
  }

  const listed = names.map((n) => [n, ...pods.get(n)!.map((p) => `:${mainPort(p)}`)].join(' '));
  say(`ready: ingress :${ports.ingress}, ${listed.join(', ')}; data in ${dataDir}`);
  // Where each pod listens, while the system runs: what `npm run rebuild` asks.
  writeFileSync(path.join(dataDir, PODS_FILE), JSON.stringify(Object.fromEntries(all.map((r) => [r.name, { app: r.app, port: mainPort(r) }]))));
  return {
    url: `http://localhost:${ports.ingress}`,
    ports,
    dataDir,
    pods: (name) => replicasOf(name).map(({ name: pod, app, ports: podPorts }) => ({ name: pod, app, ports: { ...podPorts } })),
    stop,
    kill: (name, signal, replica) => replicasOf(name, replica).forEach((r) => r.supervisor.kill(signal)),
    stopService: async (name, replica) => {
      await Promise.all(replicasOf(name, replica).map((r) => r.supervisor.stop()));
    },
    startService: (name, replica) => replicasOf(name, replica).forEach((r) => r.supervisor.start()),
    restarts: (name, replica) => replicasOf(name, replica).reduce((sum, r) => sum + r.supervisor.restarts(), 0),
    pid: (name, replica = 0) => replicasOf(name, replica)[0].supervisor.pid(),
    waitReady: (timeoutMs) => waitReady(timeoutMs),
    logs: () => [...recent],
  };
}
