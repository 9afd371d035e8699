/**
 * The nats.conf of infra/k8s-nats run as a three-server cluster on loopback by the installed nats-server
 * (Debian's in CI). Only what a laptop cannot have is changed: addresses (free ports on 127.0.0.1 for the
 * pods' names), the paths of the store and the pid file, and options the installed server predates, named.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installedNatsServer as installed } from '../../scripts/runtime/src/nats';
import { freePorts } from '../../scripts/runtime/src/ports';

/** Options of nats.conf that a nats-server older than `since` refuses, and how to take each out. */
const NEWER_OPTIONS = [{ name: 'jetstream.sync_interval', since: [2, 10, 0], line: /^[ \t]*sync_interval:.*\n/m }];

/** The installed nats-server's version, or why there is none; CI must have one. */
export function installedNatsServer(): { version: number[] } | { reason: string } {
  const version = installed();
  if (version) return { version };
  const reason = 'nats-server is not installed (apt-get install nats-server)';
  if (process.env.CI) throw new Error(`${reason}, and CI must run the NATS cluster test`);
  return { reason };
}

const older = (a: number[], b: number[]): boolean => a[0] - b[0] < 0 || (a[0] === b[0] && (a[1] - b[1] < 0 || (a[1] === b[1] && a[2] < b[2])));

export interface Ports {
  client: number;
  cluster: number;
  monitor: number;
}

/** Replaces `pattern` in `text`, which must occur exactly `times` times, so a changed nats.conf fails here rather than run unchanged. */
function replaceExactly(text: string, pattern: RegExp, replacement: (match: string[]) => string, times = 1): string {
  const everywhere = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
  const found = [...text.matchAll(everywhere)].length;
  if (found !== times) throw new Error(`nats.conf: expected ${pattern} ${times} time(s), found ${found}`);
  return text.replace(everywhere, (...args: unknown[]) => replacement(args.filter((a): a is string => typeof a === 'string').slice(0, -1)));
}

/** nats.conf for server `index` of the local cluster, and the options left out for the installed server. */
export function localConf(conf: string, index: number, ports: Ports[], dir: string, version: number[]): { text: string; leftOut: string[] } {
  let text = conf;
  text = replaceExactly(text, /^listen: 0\.0\.0\.0:4222$/m, () => `listen: 127.0.0.1:${ports[index].client}`);
  text = replaceExactly(text, /^http_port: 8222$/m, () => `http: 127.0.0.1:${ports[index].monitor}`);
  text = replaceExactly(text, /^pid_file: .*$/m, () => `pid_file: "${pidFile(dir, index)}"`);
  text = replaceExactly(text, /^([ \t]*)store_dir: .*$/m, (m) => `${m[1]}store_dir: "${path.join(dir, `store-${index}`)}"`);
  text = replaceExactly(text, /^([ \t]*)listen: 0\.0\.0\.0:6222$/m, (m) => `${m[1]}listen: 127.0.0.1:${ports[index].cluster}`);
  // The pods' names (nats-<n>.nats), as the headless Service resolves them.
  text = replaceExactly(text, /nats:\/\/nats-(\d+)\.nats:6222/, (m) => `nats://127.0.0.1:${ports[Number(m[1])].cluster}`, ports.length);
  const leftOut = NEWER_OPTIONS.filter((o) => older(version, o.since));
  for (const option of leftOut) text = replaceExactly(text, option.line, () => '');
  return { text, leftOut: leftOut.map((o) => `${o.name} (nats-server ${o.since.join('.')})`) };
}

export const pidFile = (dir: string, index: number): string => path.join(dir, `nats-${index}.pid`);

export interface LocalServer {
  name: string;
  ports: Ports;
  pidFile: string;
  /** Its log so far (nats-server logs to stderr). */
  log(): string;
  /** Starts it again after `kill`, on the same ports and store. */
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface LocalCluster {
  dir: string;
  servers: LocalServer[];
  leftOut: string[];
  /** The monitoring endpoint's answer: status and body. */
  monitor(index: number, pathAndQuery: string): Promise<{ status: number; body: string }>;
  /** Until every server's /healthz (JetStream current) answers 200. */
  healthy(indexes?: number[], timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `envs.length` servers with nats.conf, server i with the environment `envs[i]` (and PATH alone besides). */
export async function startCluster(conf: string, envs: Record<string, string>[], version: number[]): Promise<LocalCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-nats-'));
  const free = await freePorts(envs.length * 3);
  const ports: Ports[] = envs.map((_, i) => ({ client: free[3 * i], cluster: free[3 * i + 1], monitor: free[3 * i + 2] }));
  let leftOut: string[] = [];
  const servers = envs.map((env, index): LocalServer & { child?: ChildProcess } => {
    const rendered = localConf(conf, index, ports, dir, version);
    leftOut = rendered.leftOut;
    const file = path.join(dir, `nats-${index}.conf`);
    fs.writeFileSync(file, rendered.text);
    let output = '';
    const server: LocalServer & { child?: ChildProcess } = {
      name: env.SERVER_NAME,
      ports: ports[index],
      pidFile: pidFile(dir, index),
      log: () => output,
      async start() {
        const from = output.length;
        const child = spawn('nats-server', ['-c', file], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
        server.child = child;
        child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const deadline = Date.now() + 15_000;
        while (!/Server is ready/.test(output.slice(from))) {
          if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${env.SERVER_NAME} did not start:\n${output.slice(from)}`);
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
