// infra/k8s-nats's NATS cluster on loopback: the ConfigMap's nats.conf, changed only where a laptop differs from a pod.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { podEnvironment, pointAtLoopback, type Doc, type LocalCluster, type LocalPod } from './manifests';
import type { ProcessSpec } from './supervisor';

export const NATS_INSTALL = 'sudo apt-get install nats-server';

/** nats.conf's one option a nats-server before 2.10 (Debian's 2.9) refuses. */
const SYNC_INTERVAL = /^[ \t]*sync_interval:.*\n/m;

/** e.g. [2, 9, 10]; undefined when there is none on PATH. */
export function installedNatsServer(): number[] | undefined {
  const found = spawnSync('nats-server', ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  const match = /v(\d+)\.(\d+)\.(\d+)/.exec(found.stdout ?? '');
  return found.status === 0 && match ? match.slice(1).map(Number) : undefined;
}

export interface NatsSet {
  statefulSet: Doc;
  conf: string;
}

/** The StatefulSet `nats` and the ConfigMap's nats.conf its pods mount. */
export function natsSetOf(docs: Doc[]): NatsSet {
  const statefulSet = docs.find((d) => d.kind === 'StatefulSet' && d.metadata?.name === 'nats');
  const conf = docs.find((d) => d.kind === 'ConfigMap' && d.data?.['nats.conf'])?.data['nats.conf'];
  if (!statefulSet || typeof conf !== 'string') throw new Error('no StatefulSet nats, or no ConfigMap with its nats.conf');
  return { statefulSet, conf };
}

/** `pattern` must match, so a changed nats.conf fails here rather than run half-changed. */
function replaceRequired(text: string, pattern: RegExp, replacement: (match: string, group: string) => string): string {
  if (text.search(pattern) === -1) throw new Error(`nats.conf: expected ${pattern}`);
  return text.replace(pattern, replacement);
}

export interface LocalNode {
  /** Its store, configuration and pid file. */
  dir: string;
  ports: Readonly<Record<number, number>>;
}

/** And the options left out because the installed server (`version`) predates them. */
export function localNatsConf(conf: string, node: LocalNode, cluster: LocalCluster, version: number[]): { text: string; leftOut: string[] } {
  const local = (port: string) => {
    const found = node.ports[Number(port)];
    if (found === undefined) throw new Error(`nats.conf listens on ${port}, which is no container port of the StatefulSet nats`);
    return `127.0.0.1:${found}`;
  };
  let text = conf;
  text = replaceRequired(text, /\b0\.0\.0\.0:(\d+)\b/g, (_, port) => local(port));
  text = replaceRequired(text, /^http_port: (\d+)$/gm, (_, port) => `http: ${local(port)}`);
  text = replaceRequired(text, /^([ \t]*)store_dir: .*$/gm, (_, indent) => `${indent}store_dir: ${JSON.stringify(node.dir)}`);
  text = text.replace(/^pid_file: .*$/gm, () => `pid_file: ${JSON.stringify(path.join(node.dir, 'nats.pid'))}`);
  // The routes name the pods through the headless Service (nats-<n>.nats:6222): each node's route port here.
  text = replaceRequired(text, /nats:\/\/[^\s,\]]+/g, (url) => pointAtLoopback(url, cluster.services, cluster.addresses));
  const [major, minor] = version;
  if (major > 2 || (major === 2 && minor >= 10) || !SYNC_INTERVAL.test(text)) return { text, leftOut: [] };
  return { text: text.replace(SYNC_INTERVAL, ''), leftOut: ['jetstream.sync_interval (nats-server 2.10.0)'] };
}

/** nats.conf written beside the node's store; its pod's environment gives it its name and the passwords, as in the cluster. */
export function natsNode(pod: LocalPod, set: NatsSet, cluster: LocalCluster, dataDir: string, version: number[]): { spec: ProcessSpec; leftOut: string[] } {
  const dir = path.join(dataDir, 'nats', pod.name);
  mkdirSync(dir, { recursive: true });
  const { text, leftOut } = localNatsConf(set.conf, { dir, ports: pod.ports }, cluster, version);
  const file = path.join(dir, 'nats.conf');
  writeFileSync(file, text);
  const env = { PATH: process.env.PATH ?? '', ...podEnvironment(set.statefulSet, pod.name, cluster) };
  return { spec: { name: pod.name, command: 'nats-server', args: ['--config', file], cwd: dir, env }, leftOut };
}
