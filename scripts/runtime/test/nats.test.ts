import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localAddresses, podEnvironment, readManifests, servicesOf, type LocalCluster, type LocalPod } from '../src/manifests';
import { installedNatsServer, localNatsConf, natsSetOf } from '../src/nats';

const docs = readManifests(path.resolve(__dirname, '../../../infra/k8s-nats'));
const { statefulSet, conf } = natsSetOf(docs);

// Three local nodes: nats-<i> takes clients on 1000<i>, routes on 2000<i>, monitoring on 3000<i>.
const nodes: LocalPod[] = [0, 1, 2].map((i) => ({ name: `nats-${i}`, app: 'nats', ports: { 4222: 10_000 + i, 6222: 20_000 + i, 8222: 30_000 + i } }));
const services = servicesOf(docs);
const passwords = { posts: '12e4' + 'a'.repeat(44), comments: 'c'.repeat(48), query: 'q'.repeat(48), moderation: 'm'.repeat(48), client: 'w'.repeat(48) };
const cluster: LocalCluster = { services, addresses: localAddresses(services, nodes), secrets: { 'nats-users': passwords } };
const node1 = { dir: '/data dir/nats/nats-1', ports: nodes[1].ports };

/** The lines only one of the two texts has. */
function changed(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { removed: a.filter((l) => !b.includes(l)), added: b.filter((l) => !a.includes(l)) };
}

describe("a local node's nats.conf, from infra/k8s-nats's ConfigMap", () => {
  test('changes only the addresses, the paths and the routes; users, permissions and the rest stay as the cluster has them', () => {
    const { text, leftOut } = localNatsConf(conf, node1, cluster, [2, 10, 0]);
    expect(leftOut).toEqual([]);
    expect(changed(conf, text)).toEqual({
      removed: [
        'listen: 0.0.0.0:4222',
        'http_port: 8222',
        'pid_file: /var/run/nats/nats.pid',
        '  store_dir: /data',
        '  listen: 0.0.0.0:6222',
        ...[0, 1, 2].map((i) => `    nats://nats-${i}.nats:6222`),
      ],
      added: [
        'listen: 127.0.0.1:10001',
        'http: 127.0.0.1:30001',
        'pid_file: "/data dir/nats/nats-1/nats.pid"',
        '  store_dir: "/data dir/nats/nats-1"',
        '  listen: 127.0.0.1:20001',
        ...[0, 1, 2].map((i) => `    nats://127.0.0.1:2000${i}`),
      ],
    });
  });

  test('a server older than 2.10 gets it without sync_interval, and says so', () => {
    const { text, leftOut } = localNatsConf(conf, node1, cluster, [2, 9, 10]);
    expect(leftOut).toEqual(['jetstream.sync_interval (nats-server 2.10.0)']);
    expect(changed(localNatsConf(conf, node1, cluster, [2, 10, 0]).text, text)).toEqual({ removed: ['  sync_interval: always'], added: [] });
  });

  test('a nats.conf the launcher cannot make local is an error, not a node with a pod path', () => {
    expect(() => localNatsConf(conf.replace(/store_dir/, 'storedir'), node1, cluster, [2, 10, 0])).toThrow(/expected .*store_dir/);
    expect(() => localNatsConf(conf.replace('0.0.0.0:4222', '0.0.0.0:4333'), node1, cluster, [2, 10, 0])).toThrow(
      /listens on 4333, which is no container port/,
    );
    expect(() => localNatsConf(conf.replace('nats-2.nats:6222', 'nats-3.nats:6222'), node1, cluster, [2, 10, 0])).toThrow(
      /nats-3\.nats:6222 .* does not run locally/,
    );
  });
});

const version = installedNatsServer();
if (!version && process.env.CI) throw new Error('nats-server is not installed, and CI must check the local nats.conf with it');
const withServer = version ? describe : describe.skip;
if (!version) console.warn('the installed nats-server check is skipped: nats-server is not installed (sudo apt-get install nats-server)');

withServer('the installed nats-server', () => {
  test('takes the local nats.conf with the environment the StatefulSet gives a pod', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-conf-'));
    try {
      const file = path.join(dir, 'nats.conf');
      writeFileSync(file, localNatsConf(conf, { dir, ports: nodes[0].ports }, cluster, version!).text);
      const env = { PATH: process.env.PATH ?? '', ...podEnvironment(statefulSet, 'nats-0', cluster) };
      const check = spawnSync('nats-server', ['-t', '-c', file], { encoding: 'utf8', env });
      expect({ status: check.status, output: check.stderr + check.stdout }).toEqual({ status: 0, output: expect.any(String) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
