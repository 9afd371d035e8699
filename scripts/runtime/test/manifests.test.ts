import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  containerPortsOf,
  localAddresses,
  nodeOptionsOf,
  podEnvironment,
  podNamesOf,
  pointAtLoopback,
  KUBECTL_INSTALL,
  readManifests,
  replicasOf,
  secretKeysOf,
  servicesOf,
  workloadsOf,
  type Doc,
  type LocalCluster,
  type LocalPod,
  type Secrets,
} from '../src/manifests';
import { SERVICE_NAMES, SERVICES, servicesIn } from '../src/registry';

const realK8s = path.resolve(__dirname, '../../../infra/k8s');
const realK8sNats = path.resolve(__dirname, '../../../infra/k8s-nats');
const docs = readManifests(realK8s);
const natsDocs = readManifests(realK8sNats);

/** Every pod of every workload in `docs`, its container ports at 50,000 and up, in order. */
function localPods(from: Doc[]): LocalPod[] {
  let next = 50_000;
  return [...workloadsOf(from)].flatMap(([app, workload]) =>
    podNamesOf(workload, app).map((name) => ({ name, app, ports: Object.fromEntries(containerPortsOf(workload).map((p) => [p, next++])) })),
  );
}

function localCluster(from: Doc[], secrets: Secrets): { cluster: LocalCluster; pods: LocalPod[] } {
  const pods = localPods(from);
  const services = servicesOf(from);
  return { cluster: { services, addresses: localAddresses(services, pods), secrets }, pods };
}

describe('the registry, read from infra/k8s', () => {
  test('a Deployment that no Service selects, or two do, is an error naming its app', () => {
    const withoutService = docs.filter((d) => !(d.kind === 'Service' && d.metadata.name === 'posts-srv'));
    expect(() => servicesIn(withoutService)).toThrow('Deployment of app posts: one Service must select its pods, not 0');
    const twice = [...docs, { ...docs.find((d) => d.kind === 'Service' && d.metadata.name === 'query-srv'), metadata: { name: 'query-2-srv' } }];
    expect(() => servicesIn(twice)).toThrow('Deployment of app query: one Service must select its pods, not 2');
  });

  test('every service has a Deployment of one replica, and every Deployment is a service', () => {
    const workloads = workloadsOf(docs);
    expect([...workloads.keys()].sort()).toEqual([...SERVICE_NAMES].sort());
    for (const workload of workloads.values()) expect([workload.kind, replicasOf(workload)]).toEqual(['Deployment', 1]);
  });

  test("every service is reached by a Service on the registry's port, its container's first port (the second serves /metrics)", () => {
    const services = [...servicesOf(docs).values()];
    for (const { name, port } of SERVICES) {
      expect(services.filter((s) => s.app === name)).toEqual([{ app: name, ports: [port], headless: false }]);
      expect(containerPortsOf(workloadsOf(docs).get(name))).toEqual([port, 9464]);
    }
  });
});

test("nodeOptionsOf: a container's NODE_OPTIONS in infra/k8s, for a service started on its own", () => {
  expect(nodeOptionsOf('query')).toMatch(/--max-old-space-size=\d+/);
  expect(nodeOptionsOf('comments')).toBe('--max-semi-space-size=8');
  expect(nodeOptionsOf('client')).toBeUndefined();
  expect(nodeOptionsOf('nothing-of-that-name')).toBeUndefined();
});

describe('readManifests', () => {
  test('renders an overlay with kubectl kustomize, and reads any other folder as its YAML files, without kubectl', () => {
    expect(natsDocs.filter((d) => d.kind === 'StatefulSet').map((d) => d.metadata.name)).toEqual(['nats']);
    expect(natsDocs.filter((d) => d.kind === 'Deployment' && d.metadata.name === 'event-bus-depl')).toEqual([]);
    const path_ = process.env.PATH;
    process.env.PATH = path.join(os.tmpdir(), 'no-kubectl-here');
    try {
      expect(readManifests(realK8s)).toEqual(docs);
      expect(() => readManifests(realK8sNats)).toThrow(
        `${realK8sNats} is a kustomize overlay, and kubectl, which renders it, is not on PATH: ${KUBECTL_INSTALL}`,
      );
    } finally {
      process.env.PATH = path_;
    }
  });
});

describe('what infra/k8s-nats runs', () => {
  const workloads = workloadsOf(natsDocs);

  test('no event bus; two pods of each backend, one client, and the StatefulSet nats of three with stable names', () => {
    expect([...workloads.keys()].sort()).toEqual(['client', 'comments', 'moderation', 'nats', 'posts', 'query']);
    const pods = Object.fromEntries([...workloads].map(([app, w]) => [app, podNamesOf(w, app)]));
    expect(pods).toEqual({
      client: ['client'],
      comments: ['comments-0', 'comments-1'],
      moderation: ['moderation-0', 'moderation-1'],
      nats: ['nats-0', 'nats-1', 'nats-2'],
      posts: ['posts-0', 'posts-1'],
      query: ['query-0', 'query-1'],
    });
    expect(containerPortsOf(workloads.get('nats'))).toEqual([4222, 6222, 8222]);
    expect(servicesOf(natsDocs).get('nats')).toEqual({ app: 'nats', ports: [4222, 6222], headless: true });
  });

  test('one NATS user per backend and one for the client (its console), from the Secret nats-users', () => {
    expect(secretKeysOf(natsDocs, 'nats-users').sort()).toEqual(['client', 'comments', 'moderation', 'posts', 'query']);
    expect(secretKeysOf(docs, 'nats-users')).toEqual([]);
  });
});

describe("each pod's environment, from its Deployment or StatefulSet", () => {
  const { cluster, pods } = localCluster(docs, { 'bus-secret': { BUS_SECRET: 'the local secret' } });
  const port = (name: string) => Object.values(pods.find((p) => p.name === name)!.ports)[0];
  const env = (app: string, from = docs, on = cluster) => podEnvironment(workloadsOf(from).get(app), app, on);

  test('the cluster hosts point at the local ports', () => {
    expect(env('event-bus').SUBSCRIBERS.split(',')).toEqual(['posts', 'comments', 'query', 'moderation'].map((s) => `http://127.0.0.1:${port(s)}/events`));
    for (const name of ['posts', 'comments', 'query', 'moderation']) expect(env(name).EVENT_BUS_URL).toBe(`http://127.0.0.1:${port('event-bus')}`);
    // The client's console reads the log, and names subscribers by these local addresses.
    expect(env('client').EVENT_BUS_URL).toBe(`http://127.0.0.1:${port('event-bus')}`);
    expect(env('client').SERVICE_URLS).toContain(`query=http://127.0.0.1:${port('query')}`);
  });

  test('BUS_SECRET comes from the Secret the launcher makes, for the bus and every service that talks to it', () => {
    for (const name of ['event-bus', 'posts', 'comments', 'query', 'moderation', 'client'])
      expect([name, env(name).BUS_SECRET]).toEqual([name, 'the local secret']);
  });

  test('a secretKeyRef to a Secret the launcher does not make is an error naming it', () => {
    expect(() => env('posts', docs, { ...cluster, secrets: {} })).toThrow(
      /Deployment posts-depl: BUS_SECRET comes from Secret bus-secret \(key BUS_SECRET\), which the launcher does not make/,
    );
    expect(() => env('posts', docs, { ...cluster, secrets: { 'bus-secret': { OTHER: 'x' } } })).toThrow(/Secret bus-secret \(key BUS_SECRET\)/);
  });

  test('a variable with neither a value, a secretKeyRef nor a fieldRef is an error naming it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'manifests-'));
    try {
      cpSync(realK8s, dir, { recursive: true });
      const file = path.join(dir, 'posts-depl.yaml');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          /- name: BUS_SECRET\n\s+valueFrom:\n\s+secretKeyRef:\n\s+name: bus-secret\n\s+key: BUS_SECRET/,
          '- name: BUS_SECRET',
        ),
      );
      expect(() => env('posts', readManifests(dir))).toThrow(/posts-depl: BUS_SECRET has neither a value, a secretKeyRef nor a fieldRef/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the rest is as the manifest has it (the launcher replaces what is local)', () => {
    expect(env('moderation')).toMatchObject({ BANNED_WORDS: 'orange', PORT: '4003', HOST: '0.0.0.0' });
    expect(env('event-bus').EVENT_LOG_PATH).toBe('/data/events.ndjson');
  });

  describe('in infra/k8s-nats', () => {
    const passwords = { posts: 'p'.repeat(48), comments: 'c'.repeat(48), query: '1'.repeat(48), moderation: 'm'.repeat(48), client: 'w'.repeat(48) };
    const nats = localCluster(natsDocs, { 'nats-users': passwords });
    const node = (i: number) => nats.pods.find((p) => p.name === `nats-${i}`)!.ports;

    test("a backend's EVENT_BUS_URL is composed with $(…) from its user and password, naming the three local nodes", () => {
      const url = env('comments', natsDocs, nats.cluster).EVENT_BUS_URL;
      expect(url.split(',')).toEqual([0, 1, 2].map((i) => `nats://comments:${passwords.comments}@127.0.0.1:${node(i)[4222]}`));
      expect(env('query', natsDocs, nats.cluster)).toMatchObject({ NATS_USER: 'query', NATS_PASSWORD: passwords.query });
    });

    test("the client's console logs in as client to the three local nodes and follows the first query process", () => {
      const client = env('client', natsDocs, nats.cluster);
      expect(client.EVENT_BUS_URL.split(',')).toEqual([0, 1, 2].map((i) => `nats://client:${passwords.client}@127.0.0.1:${node(i)[4222]}`));
      const query0 = nats.pods.find((p) => p.name === 'query-0')!.ports[4002];
      expect(client.QUERY_URL).toBe(`http://127.0.0.1:${query0}`);
      expect(client.BUS_SECRET).toBeUndefined();
    });

    test('a NATS node gets its pod name and the quoted passwords, as the StatefulSet gives them', () => {
      const statefulSet = workloadsOf(natsDocs).get('nats');
      expect(podEnvironment(statefulSet, 'nats-1', nats.cluster)).toMatchObject({
        SERVER_NAME: 'nats-1',
        GOMEMLIMIT: '400MiB',
        POSTS_PASSWORD: passwords.posts,
        POSTS_PASSWORD_QUOTED: `"${passwords.posts}"`,
        QUERY_PASSWORD_QUOTED: `"${passwords.query}"`,
        CLIENT_PASSWORD_QUOTED: `"${passwords.client}"`,
      });
    });
  });
});

describe('$(VAR) in a value, as the kubelet expands it', () => {
  const workload = (env: Doc[]) => ({ kind: 'Deployment', metadata: { name: 'x-depl' }, spec: { template: { spec: { containers: [{ env }] } } } });
  const cluster: LocalCluster = { services: new Map(), addresses: new Map(), secrets: {} };

  test('only a variable set above it is replaced; $$ is a literal $', () => {
    const env = podEnvironment(
      workload([
        { name: 'A', value: 'a' },
        { name: 'B', value: '$(A)-$(C)-$$(A)-$$' },
        { name: 'C', value: 'c' },
      ]),
      'x',
      cluster,
    );
    expect(env.B).toBe('a-$(C)-$(A)-$');
  });

  test('a fieldRef other than metadata.name is an error naming it', () => {
    expect(() => podEnvironment(workload([{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }]), 'x', cluster)).toThrow(
      /x-depl: IP comes from the pod's status.podIP/,
    );
  });
});

describe('pointAtLoopback', () => {
  const services = new Map([
    ['event-bus-srv', { app: 'event-bus', ports: [4005], headless: false }],
    ['nats', { app: 'nats', ports: [4222, 6222], headless: true }],
  ]);
  const addresses = localAddresses(services, [
    { name: 'event-bus', app: 'event-bus', ports: { 4005: 7 } },
    { name: 'nats-0', app: 'nats', ports: { 4222: 10, 6222: 20 } },
    { name: 'nats-1', app: 'nats', ports: { 4222: 11, 6222: 21 } },
  ]);

  test('rewrites every host that is a Service, and only those', () => {
    expect(pointAtLoopback('http://event-bus-srv:4005,http://example.com:4005/x,/data/a.ndjson', services, addresses)).toBe(
      'http://127.0.0.1:7,http://example.com:4005/x,/data/a.ndjson',
    );
  });

  test("a pod's own name through its headless Service reaches that pod", () => {
    expect(pointAtLoopback('nats://u:p@nats-1.nats:4222,nats://nats-0.nats:6222', services, addresses)).toBe('nats://u:p@127.0.0.1:11,nats://127.0.0.1:20');
  });

  test('a port the Service does not have, or a pod or workspace not running locally, is an error', () => {
    expect(() => pointAtLoopback('http://event-bus-srv:4006', services, addresses)).toThrow(/has no port 4006/);
    expect(() => pointAtLoopback('http://event-bus-srv:4005', services, new Map())).toThrow(/does not run locally/);
    expect(() => pointAtLoopback('nats://nats-2.nats:4222', services, addresses)).toThrow(
      /nats-2\.nats:4222 \(nats, behind Service nats\) does not run locally/,
    );
  });
});
