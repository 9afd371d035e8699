/**
 * The NATS StatefulSet of infra/k8s-nats run as a three-server cluster on loopback by the installed nats-server
 * (Debian's in CI), each node made local as `npm start -- --nats` makes it (scripts/runtime/src/nats.ts): only
 * its addresses, store, pid file and the options the installed server predates change.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localAddresses, pointAtLoopback, podNamesOf, servicesOf, type Doc, type LocalPod, type Secrets } from '../../scripts/runtime/src/manifests';
import { installedNatsServer as installed, natsNode, natsSetOf } from '../../scripts/runtime/src/nats';
import { freePorts } from '../../scripts/runtime/src/ports';

/** The installed nats-server's version, or why there is none; CI must have one. */
export function installedNatsServer(): { version: number[] } | { reason: string } {
  const version = installed();
  if (version) return { version };
  const reason = 'nats-server is not installed (apt-get install nats-server)';
  if (process.env.CI) throw new Error(`${reason}, and CI must run the NATS cluster test`);
  return { reason };
}

export interface Ports {
  client: number;
  cluster: number;
  monitor: number;
}

export interface LocalServer {
  name: string;
  ports: Ports;
  pidFile: string;
  /** Its nats.conf, and the environment its pod gives it. */
  confFile: string;
  env: Record<string, string>;
  /** Its log so far (nats-server logs to stderr). */
  log(): string;
  /** Starts it again after `kill`, on the same ports and store. */
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface LocalCluster {
  dir: string;
  servers: LocalServer[];
  /** The options of nats.conf left out for the installed server. */
  leftOut: string[];
  /** A cluster address (`nats-0.nats:4222`) in `value` pointed at its local server. */
  local(value: string): string;
  /** The monitoring endpoint's answer: status and body. */
  monitor(index: number, pathAndQuery: string): Promise<{ status: number; body: string }>;
  /** Until every server's /healthz (JetStream current) answers 200. */
  healthy(indexes?: number[], timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the StatefulSet nats of `docs`, a local server per pod, with its password Secret `secrets`. */
export async function startCluster(docs: Doc[], secrets: Secrets, version: number[]): Promise<LocalCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-nats-'));
  const set = natsSetOf(docs);
  const names = podNamesOf(set.statefulSet, 'nats');
  const free = await freePorts(names.length * 3);
  const pods: LocalPod[] = names.map((name, i) => ({ name, app: 'nats', ports: { 4222: free[3 * i], 6222: free[3 * i + 1], 8222: free[3 * i + 2] } }));
  const services = servicesOf(docs);
  const local = { services, addresses: localAddresses(services, pods), secrets };
  const ports: Ports[] = pods.map((pod) => ({ client: pod.ports[4222], cluster: pod.ports[6222], monitor: pod.ports[8222] }));
  let leftOut: string[] = [];
  const servers = pods.map((pod, index): LocalServer & { child?: ChildProcess } => {
    const node = natsNode(pod, set, local, dir, version);
    leftOut = node.leftOut;
    const { env, args } = node.spec;
    let output = '';
    const server: LocalServer & { child?: ChildProcess } = {
      name: pod.name,
      ports: ports[index],
      pidFile: path.join(node.spec.cwd, 'nats.pid'),
      confFile: args[args.indexOf('--config') + 1],
      env: env as Record<string, string>,
      log: () => output,
      async start() {
        const from = output.length;
        const child = spawn(node.spec.command, args, { cwd: node.spec.cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
        server.child = child;
        child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const deadline = Date.now() + 15_000;
        while (!/Server is ready/.test(output.slice(from))) {
          if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${pod.name} did not start:\n${output.slice(from)}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      async kill(signal: NodeJS.Signals = 'SIGKILL') {
        const child = server.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(signal);
        await exited;
      },
    };
    return server;
  });

  const monitor = async (index: number, pathAndQuery: string) => {
    const answer = await fetch(`http://127.0.0.1:${ports[index].monitor}${pathAndQuery}`, { signal: AbortSignal.timeout(5_000) });
    return { status: answer.status, body: await answer.text() };
  };
  const cluster: LocalCluster = {
    dir,
    servers,
    leftOut,
    local: (value) => pointAtLoopback(value, services, local.addresses),
    monitor,
    async healthy(indexes = servers.map((_, i) => i), timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (const i of indexes) {
        for (;;) {
          const { status, body } = await monitor(i, '/healthz').catch((err: Error) => ({ status: 0, body: err.message }));
          if (status === 200) break;
          if (Date.now() > deadline) throw new Error(`${servers[i].name} not healthy: ${status} ${body}\n${servers[i].log().slice(-2000)}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async stop() {
      // SIGKILL: a server in lame-duck mode ignores SIGTERM, and nothing here needs a clean stop.
      await Promise.all(servers.map((s) => s.kill('SIGKILL')));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(servers.map((s) => s.start()));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
