// A real nats-server with JetStream for tests: Debian's `nats-server` on a free loopback port,
// its store in a temporary folder, clients required to log in; or three of them in a cluster.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const NATS_USER = 'posts';
export const NATS_PASS = 'test-password';

/** Why JetStream tests cannot run here, or undefined when they can. CI installs nats-server, so there it must be present. */
export function whyNoNatsServer(): string | undefined {
  const found = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (found.status === 0) return undefined;
  const reason = 'nats-server is not installed (apt-get install nats-server)';
  if (process.env.CI) throw new Error(`${reason}, and CI must run the JetStream tests`);
  return reason;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface NatsServer {
  /** nats://user:pass@127.0.0.1:port */
  url: string;
  stop(): Promise<void>;
}

/** Runs nats-server with `conf`, once it says it is ready; `kill` ends it with a signal and waits for it to exit. */
async function spawnNatsServer(conf: string): Promise<{ kill(signal: NodeJS.Signals): Promise<void> }> {
  const child: ChildProcess = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!/Server is ready/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

const authorization = `authorization { users: [ { user: ${NATS_USER}, password: ${NATS_PASS} } ] }\n`;

export async function startNatsServer(): Promise<NatsServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-test-'));
  const port = await freePort();
  const config = path.join(dir, 'nats.conf');
  writeFileSync(config, `listen: 127.0.0.1:${port}\njetstream { store_dir: "${path.join(dir, 'store')}" }\n${authorization}`);
  const server = await spawnNatsServer(config);
  return {
    url: `nats://${NATS_USER}:${NATS_PASS}@127.0.0.1:${port}`,
    async stop() {
      await server.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface NatsCluster {
  /** The servers' names, `n0` …, which JetStream reports (a connection's `info.server_name`, a consumer's leader). */
  names: string[];
  /** nats://user:pass@127.0.0.1:port,… of the servers at `indexes`, all by default. */
  url(indexes?: number[]): string;
  /** SIGKILLs server `index`: no lame-duck mode, its connections and the raft groups it leads just gone. */
  kill(index: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Three servers routed into one JetStream cluster on loopback, as infra/k8s-nats has them (each its own
 * name and store, routes to all, no_advertise, clients logging in), ready once each has a metadata leader.
 */
export async function startNatsCluster(): Promise<NatsCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-cluster-test-'));
  const ports: { client: number; cluster: number; monitor: number }[] = [];
  for (let i = 0; i < 3; i++) ports.push({ client: await freePort(), cluster: await freePort(), monitor: await freePort() });
  const names = ports.map((_, i) => `n${i}`);
  const routes = ports.map((p) => `nats://127.0.0.1:${p.cluster}`).join(', ');
  const started = await Promise.allSettled(
    ports.map((p, i) => {
      const config = path.join(dir, `${names[i]}.conf`);
      writeFileSync(
        config,
        `server_name: ${names[i]}\nlisten: 127.0.0.1:${p.client}\nhttp: 127.0.0.1:${p.monitor}\n` +
          `jetstream { store_dir: "${path.join(dir, names[i])}" }\n${authorization}` +
          `cluster { name: test, listen: 127.0.0.1:${p.cluster}, routes: [ ${routes} ], no_advertise: true }\n`,
      );
      return spawnNatsServer(config);
    }),
  );
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (servers.length < ports.length) {
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
    throw started.map((s) => (s.status === 'rejected' ? (s.reason as Error) : null)).find(Boolean);
  }
  const cluster: NatsCluster = {
    names,
    url: (indexes = ports.map((_, i) => i)) => indexes.map((i) => `nats://${NATS_USER}:${NATS_PASS}@127.0.0.1:${ports[i].client}`).join(','),
    kill: (index) => servers[index].kill('SIGKILL'),
    async stop() {
      await Promise.all(servers.map((s) => s.kill('SIGKILL')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // /healthz answers 200 once the server's JetStream has found the metadata leader: an election waits a random
  // 4-9 s on nats-server 2.9, and may need a second round while CI runs every suite at once.
  const deadline = Date.now() + 45_000;
  for (const p of ports) {
    while ((await fetch(`http://127.0.0.1:${p.monitor}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => null))?.status !== 200) {
      if (Date.now() > deadline) {
        await cluster.stop();
        throw new Error('the NATS cluster did not elect a metadata leader in time');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return cluster;
}
