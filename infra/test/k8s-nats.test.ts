/**
 * infra/k8s-nats, posts.com with its log in NATS JetStream: every object against the Kubernetes schemas
 * (kubernetes-models 4.x, offline), the references between objects, nats.conf as the servers read it, and
 * each backend held to its twin in infra/k8s, so the two sets cannot drift apart silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import ts from 'typescript';
import { ROOT } from './dockerfile';
import {
  BACKENDS,
  DEFAULT_SET,
  NATS_SET,
  NATS_USERS,
  expandEnv,
  loadSet,
  quantityBytes,
  references,
  secretCommands,
  type EnvVar,
  type Obj,
} from './k8s-nats-set';
import { EnvRef, natsBytes, natsMs, parseNatsConf, permits, type ConfMap, type ConfValue, type Permission } from './nats-conf';

/* eslint-disable @typescript-eslint/no-explicit-any */
const MODEL_CLASSES: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** The same kinds as TypeScript types, whose excess-property check finds a field the API does not have. */
const TYPE_OF: Record<string, string> = {
  'apps/v1/Deployment': "import('kubernetes-models/apps/v1').IDeployment",
  'apps/v1/StatefulSet': "import('kubernetes-models/apps/v1').IStatefulSet",
  'v1/Service': "import('kubernetes-models/v1').IService",
  'v1/ConfigMap': "import('kubernetes-models/v1').IConfigMap",
  'policy/v1/PodDisruptionBudget': "import('kubernetes-models/policy/v1').IPodDisruptionBudget",
  'networking.k8s.io/v1/Ingress': "import('kubernetes-models/networking.k8s.io/v1').IIngress",
  'networking.k8s.io/v1/NetworkPolicy': "import('kubernetes-models/networking.k8s.io/v1').INetworkPolicy",
};

/** What TypeScript finds wrong in each object typed as its kind: the fields and values `kubectl apply` would refuse. */
function typeErrors(list: { label: string; obj: Obj }[]): string[] {
  // Never written: the compiler reads it from memory, beside this test so the packages resolve.
  const file = path.join(ROOT, 'infra', 'test', '__k8s-nats-objects.ts');
  const text = list.map(({ obj }, i) => `export const object${i}: ${TYPE_OF[`${obj.apiVersion}/${obj.kind}`]} = ${JSON.stringify(obj)};`).join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, text, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  const program = ts.createProgram([file], options, host);
  const source = program.getSourceFile(file)!;
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
    return `${list[line]?.label}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

const docs = loadSet(NATS_SET);
const objects = docs.map((d) => d.obj);
const defaults = loadSet(DEFAULT_SET).map((d) => d.obj);
const kindOf = (list: Obj[], kind: string): Obj[] => list.filter((o) => o.kind === kind);
const named = (list: Obj[], kind: string, name: string): Obj => {
  const found = list.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

const statefulSet = named(objects, 'StatefulSet', 'nats');
const natsPod = statefulSet.spec.template.spec;
const natsContainer = natsPod.containers[0];
const natsEnv: EnvVar[] = natsContainer.env;
const configMap = named(objects, 'ConfigMap', 'nats-config');
const conf = parseNatsConf(configMap.data!['nats.conf']);
const jetstream = conf.jetstream as ConfMap;
const cluster = conf.cluster as ConfMap;
const authorization = conf.authorization as ConfMap;
const users = authorization.users as ConfMap[];
const portOf = (listen: ConfValue): number => Number(String(listen).split(':').pop());
const containerPort = (name: string): number => natsContainer.ports.find((p: any) => p.name === name).containerPort;

const deploymentOf = (svc: string): Obj => named(objects, 'Deployment', `${svc}-depl`);
const containerOf = (svc: string): any => deploymentOf(svc).spec.template.spec.containers[0];
const twinOf = (svc: string): Obj => named(defaults, 'Deployment', `${svc}-depl`);
const workloads = [...kindOf(objects, 'Deployment'), ...kindOf(objects, 'StatefulSet')];

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
/** A label selector as the API server reads one (`matchLabels` and `matchExpressions`). */
function selects(selector: Selector, labels: Record<string, string> = {}): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    if (operator === 'In') return values.includes(labels[key]);
    if (operator === 'NotIn') return !values.includes(labels[key]);
    if (operator === 'Exists') return key in labels;
    if (operator === 'DoesNotExist') return !(key in labels);
    throw new Error(`unknown operator ${operator}`);
  });
  return byLabel && byExpression;
}
const podsSelectedBy = (selector: Selector): Obj[] => workloads.filter((w) => selects(selector, w.spec.template.metadata.labels));

/** The bus's environment: the only env entries in which a Deployment may differ from its infra/k8s twin. */
const BUS_ENV = new Set(['EVENT_BUS_URL', 'BUS_SECRET', 'NATS_USER', 'NATS_PASSWORD']);
function withoutTheBusEnvironment(deployment: Obj): Obj {
  const copy = structuredClone(deployment);
  for (const c of copy.spec.template.spec.containers) c.env = (c.env ?? []).filter((e: EnvVar) => !BUS_ENV.has(e.name));
  return copy;
}
/** A backend's Deployment less what the NATS set may change: replicas, the spread across nodes and the bus's environment. */
function withoutAllowedDifferences(deployment: Obj): Obj {
  const copy = withoutTheBusEnvironment(deployment);
  delete copy.spec.replicas;
  delete copy.spec.template.spec.topologySpreadConstraints;
  return copy;
}
/** An infra/k8s NetworkPolicy less the event bus as a source: nothing pushes to the backends when JetStream is pulled. */
function withoutTheBus(policy: Obj): Obj {
  const copy = structuredClone(policy);
  const fromTheBus = (peer: any) => peer.podSelector?.matchLabels?.app === 'event-bus';
  copy.spec.ingress = (copy.spec.ingress ?? [])
    .map((rule: any) => (rule.from ? { ...rule, from: rule.from.filter((peer: any) => !fromTheBus(peer)) } : rule))
    .filter((rule: any) => !rule.from || rule.from.length > 0);
  return copy;
}
const withIngressList = (policy: Obj): Obj => ({ ...policy, spec: { ...policy.spec, ingress: policy.spec.ingress ?? [] } });

/** Every `$NAME` nats.conf leaves to the environment. */
function envRefs(value: ConfValue): string[] {
  if (value instanceof EnvRef) return [value.name];
  if (Array.isArray(value)) return value.flatMap(envRefs);
  if (typeof value === 'object') return Object.values(value).flatMap(envRefs);
  return [];
}
const envEntry = (name: string): EnvVar => {
  const found = natsEnv.find((e) => e.name === name);
  if (!found) throw new Error(`the NATS container has no env ${name}`);
  return found;
};
/** The Secret key behind a nats.conf password variable: `$X_QUOTED` is `"$(X)"`, and X comes from the Secret. */
function secretBehind(variable: string): { name: string; key: string } {
  const quoted = envEntry(variable);
  const [raw] = references(quoted.value ?? '');
  expect(quoted.value).toBe(`"$(${raw})"`);
  expect(natsEnv.findIndex((e) => e.name === raw)).toBeLessThan(natsEnv.indexOf(quoted));
  const ref = envEntry(raw).valueFrom?.secretKeyRef;
  if (!ref) throw new Error(`${raw} does not come from a Secret`);
  return { name: ref.name, key: ref.key };
}

describe('the files in infra/k8s-nats', () => {
  test('apply as they are with `kubectl apply -f infra/k8s-nats`: YAML and a README, no kustomization, no namespace of their own', () => {
    const files = fs.readdirSync(path.join(ROOT, NATS_SET)).sort();
    expect(files.filter((f) => !/\.ya?ml$/.test(f))).toEqual(['README.md']);
    expect(files.filter((f) => /^kustomization\.ya?ml$|^Kustomization$/i.test(f))).toEqual([]);
    expect(objects.filter((o) => o.metadata.namespace !== undefined)).toEqual([]);
  });

  test.each(docs.map((d) => [`${d.file}: ${d.obj.kind} ${d.obj.metadata?.name}`, d.obj] as const))(
    '%s is valid against the Kubernetes schema',
    (_label, obj) => {
      const Model = MODEL_CLASSES[`${obj.apiVersion}/${obj.kind}`];
      expect(Model).toBeDefined();
      expect(() => new Model(obj as never).validate()).not.toThrow();
    },
  );

  test('the schema check catches a broken StatefulSet (it can fail)', () => {
    const broken = structuredClone(statefulSet);
    broken.spec.volumeClaimTemplates[0].spec.resources.requests.storage = { size: 2 };
    expect(() => new StatefulSet(broken as never).validate()).toThrow(/storage/);
  });

  test('every field is one the Kubernetes API has, as `kubectl apply` checks (the schema check lets unknown fields through)', () => {
    const typo = structuredClone(
      named(
        docs.map((d) => d.obj),
        'Service',
        'nats',
      ),
    );
    typo.spec.publishNotReadyAdresses = typo.spec.publishNotReadyAddresses;
    const errors = typeErrors([
      ...docs.map((d) => ({ label: `${d.file}: ${d.obj.kind} ${d.obj.metadata.name}`, obj: d.obj })),
      { label: 'a misspelt field', obj: typo },
    ]);
    // The check can fail: the misspelt copy is caught, and nothing else.
    expect(errors).toEqual([expect.stringMatching(/^a misspelt field: .*publishNotReadyAdresses/)]);
  });

  test('object names are unique per kind, and every object is part of posts-com', () => {
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] !== 'posts-com').map((o) => o.metadata.name)).toEqual([]);
  });

  test('hold the NATS cluster, the four backends, the client and the Ingresses, and no event bus nor its volume', () => {
    expect(kindOf(objects, 'Deployment').map((d) => d.metadata.name)).toEqual(['client-depl', 'comments-depl', 'moderation-depl', 'posts-depl', 'query-depl']);
    expect(kindOf(objects, 'StatefulSet').map((s) => s.metadata.name)).toEqual(['nats']);
    expect(kindOf(objects, 'PersistentVolumeClaim')).toEqual([]);
    expect(JSON.stringify(objects)).not.toMatch(/event-bus/);
  });

  test('hold no Secret and no password: every credential in an env value is a $(VAR) from a Secret', () => {
    expect(kindOf(objects, 'Secret')).toEqual([]);
    for (const workload of workloads) {
      for (const c of workload.spec.template.spec.containers) {
        const env: EnvVar[] = c.env ?? [];
        const fromSecret = new Set(env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name));
        for (const e of env.filter((e) => e.value !== undefined)) {
          const label = `${workload.metadata.name} ${e.name}`;
          const withoutSecrets = (text: string) => text.replace(/\$\(([A-Za-z0-9_]+)\)/g, (whole, name: string) => (fromSecret.has(name) ? '' : whole));
          // A literal may only wrap a secret's value (in quotes, for nats.conf).
          if (/PASSWORD|SECRET|TOKEN|KEY/i.test(e.name))
            expect({ label, rest: withoutSecrets(e.value!) }).toEqual({ label, rest: expect.stringMatching(/^("")?$/) });
          // A URL's password is a secret's value and nothing else.
          for (const url of e.value!.split(',').filter((v) => /^[a-z]+:\/\/[^/]*@/.test(v))) {
            const password = /^[a-z]+:\/\/[^:/@]*:([^@]*)@/.exec(url)?.[1] ?? '';
            expect({ label, password, rest: withoutSecrets(password) }).toEqual({ label, password: expect.stringMatching(/^\$\(/), rest: '' });
          }
        }
      }
    }
  });
});

describe('the backends', () => {
  test.each(BACKENDS)('%s runs two replicas, spread across nodes, and a PodDisruptionBudget keeps one of them', (svc) => {
    const d = deploymentOf(svc);
    expect(d.spec.replicas).toBe(2);
    const [spread, ...others] = d.spec.template.spec.topologySpreadConstraints;
    expect(others).toEqual([]);
    expect(spread).toMatchObject({ maxSkew: 1, topologyKey: 'kubernetes.io/hostname' });
    // Its own pods and no others.
    expect(podsSelectedBy(spread.labelSelector)).toEqual([d]);
    const budgets = kindOf(objects, 'PodDisruptionBudget').filter((b) => selects(b.spec.selector, d.spec.template.metadata.labels));
    expect(budgets.map((b) => b.metadata.name)).toEqual([`${svc}-pdb`]);
    expect(budgets[0].spec).toEqual({ minAvailable: 1, selector: { matchLabels: { app: svc } } });
    expect(podsSelectedBy(budgets[0].spec.selector)).toEqual([d]);
  });

  test.each(BACKENDS)('%s is its infra/k8s twin but for replicas, spread and the bus environment', (svc) => {
    expect(withoutAllowedDifferences(deploymentOf(svc))).toEqual(withoutAllowedDifferences(twinOf(svc)));
  });

  test('the drift check catches any other difference (it can fail)', () => {
    const changed = [
      (d: Obj) => (d.spec.template.spec.containers[0].resources.limits.memory = '1Gi'),
      (d: Obj) => d.spec.template.spec.containers[0].env.push({ name: 'LOG_LEVEL', value: 'debug' }),
      (d: Obj) => (d.spec.template.spec.containers[0].readinessProbe.periodSeconds = 60),
      (d: Obj) => (d.metadata.labels!.app = 'other'),
    ];
    for (const change of changed) {
      const copy = structuredClone(deploymentOf('posts'));
      change(copy);
      expect(withoutAllowedDifferences(copy)).not.toEqual(withoutAllowedDifferences(twinOf('posts')));
    }
  });

  test.each(NATS_USERS)('%s reaches the three NATS servers as its own user, with its password from the Secret', (svc) => {
    const env: EnvVar[] = containerOf(svc).env;
    expect(env.find((e) => e.name === 'NATS_USER')).toEqual({ name: 'NATS_USER', value: svc });
    expect(env.find((e) => e.name === 'NATS_PASSWORD')).toEqual({ name: 'NATS_PASSWORD', valueFrom: { secretKeyRef: { name: 'nats-users', key: svc } } });
    const url = env.find((e) => e.name === 'EVENT_BUS_URL')!;
    // Kubernetes fills in $(VAR) only from entries above it.
    const above = new Set(env.slice(0, env.indexOf(url)).map((e) => e.name));
    expect(references(url.value!).filter((name) => !above.has(name))).toEqual([]);
    const password = `pw-${svc}`;
    const expanded = expandEnv(env, { secrets: { 'nats-users': { [svc]: password } }, fields: {} }).EVENT_BUS_URL;
    const servers = expanded.split(',').map((u) => new URL(u));
    expect(servers.map((u) => [u.protocol, u.username, u.password])).toEqual(servers.map(() => ['nats:', svc, password]));
    const pods = Array.from({ length: statefulSet.spec.replicas }, (_, i) => `${statefulSet.metadata.name}-${i}.${statefulSet.spec.serviceName}`);
    expect(servers.map((u) => [u.hostname, Number(u.port)])).toEqual(pods.map((host) => [host, portOf(conf.listen)]));
  });

  test.each(BACKENDS)('%s keeps its Service from infra/k8s', (svc) => {
    expect(named(objects, 'Service', `${svc}-srv`)).toEqual(named(defaults, 'Service', `${svc}-srv`));
  });
});

describe('what is as in infra/k8s', () => {
  test("the client: its Deployment but for the bus's environment (its console logs in to NATS), its Service and NetworkPolicy", () => {
    expect(withoutTheBusEnvironment(deploymentOf('client'))).toEqual(withoutTheBusEnvironment(twinOf('client')));
    for (const [kind, name] of [
      ['Service', 'client-srv'],
      ['NetworkPolicy', 'client-netpol'],
    ]) {
      expect(named(objects, kind, name)).toEqual(named(defaults, kind, name));
    }
  });

  test('the Ingresses for posts.com, whose backends are Services and ports of this set', () => {
    expect(kindOf(objects, 'Ingress')).toEqual(kindOf(defaults, 'Ingress'));
    const backends = kindOf(objects, 'Ingress').flatMap((i) => i.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => p.backend.service)));
    for (const backend of backends) {
      expect(named(objects, 'Service', backend.name).spec.ports.map((p: any) => p.port)).toContain(backend.port.number);
    }
  });
});

describe('the Services', () => {
  test.each(kindOf(objects, 'Service').map((s) => [s.metadata.name, s] as const))(
    '%s selects the pods of one workload and targets ports they have',
    (_name, service) => {
      const [workload, ...others] = podsSelectedBy({ matchLabels: service.spec.selector });
      expect(others).toEqual([]);
      const ports = workload.spec.template.spec.containers.flatMap((c: any) => c.ports);
      for (const { targetPort } of service.spec.ports) {
        expect(ports.some((p: any) => p.containerPort === targetPort || p.name === targetPort)).toBe(true);
      }
    },
  );

  test('nats is headless and names the pods before they are ready, as the servers need to find each other', () => {
    const headless = named(objects, 'Service', statefulSet.spec.serviceName);
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(headless.spec.ports.map((p: any) => p.port)).toEqual(expect.arrayContaining([containerPort('client'), containerPort('cluster')]));
  });

  test('nats-srv is one address for the ready servers on the client port', () => {
    const service = named(objects, 'Service', 'nats-srv');
    expect(service.spec.type ?? 'ClusterIP').toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'client', protocol: 'TCP', port: containerPort('client'), targetPort: 'client' }]);
  });
});

describe('the NetworkPolicies', () => {
  const policies = kindOf(objects, 'NetworkPolicy');
  const policyFor = (workload: Obj): Obj => {
    const found = policies.filter((p) => selects(p.spec.podSelector, workload.spec.template.metadata.labels));
    expect(found).toHaveLength(1);
    return found[0];
  };

  test('each workload has one, and each selects the pods of a workload in this set', () => {
    for (const w of workloads) policyFor(w);
    for (const p of policies) expect(podsSelectedBy(p.spec.podSelector)).not.toEqual([]);
  });

  test('NATS takes clients on 4222 from the four backends and the client only, routes on 6222 from its own pods only, and nothing on 8222', () => {
    const spec = policyFor(statefulSet).spec;
    expect(spec.policyTypes).toEqual(['Ingress']);
    // A rule without ports or sources would open every port or every source.
    for (const rule of spec.ingress) expect(rule.ports && rule.from).toBeTruthy();
    const sourcesOf = (port: number) => spec.ingress.filter((r: any) => r.ports.some((p: any) => p.port === port)).flatMap((r: any) => r.from);
    expect(sourcesOf(containerPort('client'))).toEqual([{ podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: NATS_USERS }] } }]);
    expect(podsSelectedBy(sourcesOf(containerPort('client'))[0].podSelector).map((w) => w.metadata.name)).toEqual(NATS_USERS.map((s) => `${s}-depl`).sort());
    expect(sourcesOf(containerPort('cluster'))).toEqual([{ podSelector: { matchLabels: statefulSet.spec.selector.matchLabels } }]);
    // The kubelet's probes come from the node, which NetworkPolicies do not block.
    expect(sourcesOf(containerPort('monitor'))).toEqual([]);
    expect(spec.ingress.flatMap((r: any) => r.ports)).toEqual([
      { protocol: 'TCP', port: 4222 },
      { protocol: 'TCP', port: 6222 },
    ]);
  });

  test.each(BACKENDS)("%s's is its infra/k8s twin's without the event bus", (svc) => {
    const policy = policyFor(deploymentOf(svc));
    const twin = named(defaults, 'NetworkPolicy', policy.metadata.name);
    expect(withIngressList(policy)).toEqual(withIngressList(withoutTheBus(twin)));
  });

  test('posts and comments accept the ingress controller and Prometheus, query the console too; moderation accepts Prometheus alone', () => {
    const INGRESS_NS = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } };
    const CONSOLE = { podSelector: { matchLabels: { app: 'client' } } };
    const SCRAPE_RULE = {
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ protocol: 'TCP', port: 9464 }],
    };
    for (const [svc, sources] of [
      ['posts', [INGRESS_NS]],
      ['comments', [INGRESS_NS]],
      ['query', [INGRESS_NS, CONSOLE]],
    ] as const) {
      const spec = policyFor(deploymentOf(svc)).spec;
      expect({ svc, sources: spec.ingress.slice(0, -1).flatMap((r: any) => r.from) }).toEqual({ svc, sources });
      expect(spec.ingress.at(-1)).toEqual(SCRAPE_RULE);
    }
    expect(policyFor(deploymentOf('moderation')).spec).toEqual({
      podSelector: { matchLabels: { app: 'moderation' } },
      policyTypes: ['Ingress'],
      ingress: [SCRAPE_RULE],
    });
  });

  test.each([...BACKENDS, 'client'])('%s serves /metrics on 9464, announced to Prometheus and exposed by no Service', (svc) => {
    const workload = deploymentOf(svc);
    expect(workload.spec.template.metadata.annotations).toEqual(
      expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464', 'prometheus.io/path': '/metrics' }),
    );
    expect(containerOf(svc).ports).toContainEqual({ name: 'metrics', containerPort: 9464, protocol: 'TCP' });
    expect(containerOf(svc).env).toContainEqual({ name: 'METRICS_PORT', value: '9464' });
    for (const service of kindOf(objects, 'Service')) {
      for (const p of service.spec.ports) expect([p.port, p.targetPort]).not.toContain(9464);
      for (const p of service.spec.ports) expect(p.targetPort).not.toBe('metrics');
    }
  });
});

describe('the NATS StatefulSet', () => {
  test('runs a pinned NATS image of 2.12 or later', () => {
    const match = /^nats:(\d+)\.(\d+)\.(\d+)-alpine$/.exec(natsContainer.image);
    expect(match).not.toBeNull();
    const [major, minor] = match!.slice(1).map(Number);
    expect(major > 2 || (major === 2 && minor >= 12)).toBe(true);
  });

  test('runs three servers, started together, named by the headless Service', () => {
    expect(statefulSet.spec.replicas).toBe(3);
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    expect(selects(statefulSet.spec.selector, statefulSet.spec.template.metadata.labels)).toBe(true);
    expect(podsSelectedBy(statefulSet.spec.selector)).toEqual([statefulSet]);
    expect(named(objects, 'Service', statefulSet.spec.serviceName).spec.clusterIP).toBe('None');
  });

  test('reads nats.conf from the ConfigMap nats-config', () => {
    const volume = natsPod.volumes.find((v: any) => v.configMap);
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    const mount = natsContainer.volumeMounts.find((m: any) => m.name === volume.name);
    const args: string[] = natsContainer.args;
    const file = args[args.indexOf('--config') + 1];
    expect(path.posix.dirname(file)).toBe(mount.mountPath);
    expect(Object.keys(configMap.data!)).toContain(path.posix.basename(file));
    expect(natsContainer.command).toEqual(['nats-server']);
  });

  test('keeps each server’s store on a volume of its own, with room beyond what JetStream may fill', () => {
    const [template, ...others] = statefulSet.spec.volumeClaimTemplates;
    expect(others).toEqual([]);
    expect(template.spec.accessModes).toEqual(['ReadWriteOnce']);
    const mount = natsContainer.volumeMounts.find((m: any) => m.name === template.metadata.name);
    expect(mount.readOnly ?? false).toBe(false);
    expect(String(jetstream.store_dir)).toBe(mount.mountPath);
    expect(natsBytes(jetstream.max_file_store)).toBeLessThanOrEqual(quantityBytes(template.spec.resources.requests.storage) * 0.75);
    // The volume is writable by the non-root server.
    expect(natsPod.securityContext.fsGroup).toBe(natsPod.securityContext.runAsGroup);
    expect(statefulSet.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('listens where its container ports say', () => {
    expect(containerPort('client')).toBe(portOf(conf.listen));
    expect(containerPort('cluster')).toBe(portOf(cluster.listen));
    expect(containerPort('monitor')).toBe(conf.http_port);
  });

  test('is probed on /healthz: started once JetStream is current, ready as a server, alive while JetStream runs', () => {
    const { startupProbe, readinessProbe, livenessProbe } = natsContainer;
    for (const probe of [startupProbe, readinessProbe, livenessProbe]) expect(probe.httpGet.port).toBe('monitor');
    expect(startupProbe.httpGet.path).toBe('/healthz');
    expect(readinessProbe.httpGet.path).toBe('/healthz?js-server-only=true');
    expect(livenessProbe.httpGet.path).toBe('/healthz?js-enabled-only=true');
    // Catching up after a restart may take a while: minutes before the kubelet gives up.
    expect(startupProbe.periodSeconds * startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
  });

  test('enters lame-duck mode before it stops, through the pid file nats.conf names, and has the time to finish it', () => {
    expect(natsContainer.lifecycle.preStop.exec.command).toEqual(['nats-server', '--signal', `ldm=${conf.pid_file}`]);
    const mount = natsContainer.volumeMounts.find((m: any) => m.mountPath === path.posix.dirname(String(conf.pid_file)));
    expect(natsPod.volumes.find((v: any) => v.name === mount?.name)?.emptyDir).toBeDefined();
    expect(statefulSet.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      natsMs(conf.lame_duck_duration) + natsMs(conf.lame_duck_grace_period),
    );
  });

  test('runs hardened, with requests and limits, its Go heap kept under the memory limit', () => {
    expect(natsPod.automountServiceAccountToken).toBe(false);
    expect(natsPod.enableServiceLinks).toBe(false);
    expect(natsPod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(natsPod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(natsContainer.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const { requests, limits } = natsContainer.resources;
    for (const r of [requests, limits]) expect(Object.keys(r).sort()).toEqual(['cpu', 'memory']);
    const goMemLimit = /^(\d+)MiB$/.exec(envEntry('GOMEMLIMIT').value!);
    expect(Number(goMemLimit![1]) * 2 ** 20).toBeLessThan(quantityBytes(limits.memory));
    expect(natsBytes(jetstream.max_memory_store)).toBeLessThan(quantityBytes(limits.memory));
  });

  test('spreads its servers across nodes, and a disruption takes one at a time, which keeps the quorum', () => {
    const [spread] = natsPod.topologySpreadConstraints;
    expect(spread).toMatchObject({ maxSkew: 1, topologyKey: 'kubernetes.io/hostname' });
    expect(podsSelectedBy(spread.labelSelector)).toEqual([statefulSet]);
    const budget = kindOf(objects, 'PodDisruptionBudget').find((b) => selects(b.spec.selector, statefulSet.spec.template.metadata.labels))!;
    expect(budget.spec.maxUnavailable).toBe(1);
    expect(statefulSet.spec.replicas - budget.spec.maxUnavailable).toBeGreaterThan(statefulSet.spec.replicas / 2);
  });

  test('gives nats.conf every variable it reads from the environment: its pod name and the quoted passwords', () => {
    const wanted = [...new Set(envRefs(conf))].sort();
    expect(wanted.filter((name) => !natsEnv.some((e) => e.name === name))).toEqual([]);
    expect(envEntry('SERVER_NAME').valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    for (const name of wanted.filter((n) => n !== 'SERVER_NAME')) expect(secretBehind(name).name).toBe('nats-users');
  });
});

describe('nats.conf', () => {
  const writers = ['posts', 'comments', 'moderation'];
  const permissionsOf = (user: string): { publish?: Permission; subscribe?: Permission } => {
    const found = users.find((u) => u.user === user);
    if (!found) throw new Error(`no user ${user}`);
    return found.permissions as { publish?: Permission; subscribe?: Permission };
  };

  test('names each server after its pod', () => {
    expect(conf.server_name).toEqual(new EnvRef('SERVER_NAME'));
  });

  test('turns JetStream on, its store on the volume, each write fsynced before it is acknowledged', () => {
    expect(jetstream).toMatchObject({ store_dir: expect.any(String), sync_interval: 'always' });
    expect(jetstream.enabled ?? true).toBe(true);
  });

  test('routes to every server of the StatefulSet by its pod name, in a cluster with a name', () => {
    expect(cluster.name).toEqual(expect.any(String));
    const routes = Array.from(
      { length: statefulSet.spec.replicas },
      (_, i) => `nats://${statefulSet.metadata.name}-${i}.${statefulSet.spec.serviceName}:${portOf(cluster.listen)}`,
    );
    expect(cluster.routes).toEqual(routes);
    // Clients keep to the names they were given, which follow the pods.
    expect(cluster.no_advertise).toBe(true);
  });

  test('refuses anonymous clients: every client is a backend or the client, with a password from the environment', () => {
    const everyKey = (value: ConfValue): string[] =>
      Array.isArray(value)
        ? value.flatMap(everyKey)
        : typeof value === 'object' && !(value instanceof EnvRef)
          ? Object.entries(value).flatMap(([k, v]) => [k, ...everyKey(v)])
          : [];
    expect(everyKey(conf)).not.toContain('no_auth_user');
    expect(Object.keys(authorization).sort()).toEqual(['users']);
    expect(conf.accounts).toBeUndefined();
    expect(users.map((u) => u.user).sort()).toEqual([...NATS_USERS].sort());
    for (const u of users) expect({ user: u.user, password: u.password instanceof EnvRef }).toEqual({ user: u.user, password: true });
  });

  test("each user's password is its key of the Secret nats-users, which the README's command creates with exactly those keys", () => {
    for (const u of users) expect(secretBehind((u.password as EnvRef).name)).toEqual({ name: 'nats-users', key: u.user });
    const referenced = [...workloads.flatMap((w) => w.spec.template.spec.containers.flatMap((c: any) => c.env ?? []))]
      .map((e: EnvVar) => e.valueFrom?.secretKeyRef)
      .filter((ref): ref is { name: string; key: string } => ref !== undefined);
    expect(new Set(referenced.map((r) => r.name))).toEqual(new Set(['nats-users']));
    const keys = [...new Set(referenced.map((r) => r.key))].sort();
    expect(keys).toEqual(users.map((u) => u.user).sort());
    const ownReadme = secretCommands(fs.readFileSync(path.join(ROOT, NATS_SET, 'README.md'), 'utf8'), 'nats-users');
    expect(ownReadme).toHaveLength(1);
    // The top-level README may carry the command too: then it must make the same keys.
    const rootReadme = secretCommands(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), 'nats-users');
    for (const command of [...ownReadme, ...rootReadme]) expect([...command].sort()).toEqual(keys);
  });

  test('lets posts, comments and moderation publish events, query none, and each backend use the JetStream API and get its replies', () => {
    for (const user of BACKENDS) {
      const { publish, subscribe } = permissionsOf(user);
      const can = (subject: string) => permits(publish, subject);
      expect({ user, publishes: can('events.PostCreated') && can('events.CommentModerated') }).toEqual({ user, publishes: writers.includes(user) });
      for (const api of [
        '$JS.API.INFO',
        '$JS.API.STREAM.INFO.EVENTS',
        '$JS.API.STREAM.CREATE.EVENTS',
        '$JS.API.CONSUMER.CREATE.EVENTS.c1',
        '$JS.API.CONSUMER.MSG.NEXT.EVENTS.c1',
      ]) {
        expect({ user, api, allowed: can(api) }).toEqual({ user, api, allowed: true });
      }
      expect(can('_INBOX.abc.1') || can('posts.anything') || can('$SYS.REQ.SERVER.PING')).toBe(false);
      expect(permits(subscribe, '_INBOX.abc.1')).toBe(true);
      // Events reach a backend through its JetStream consumer, never as a plain subscription.
      expect(permits(subscribe, 'events.PostCreated') || permits(subscribe, '$JS.API.INFO')).toBe(false);
    }
  });

  test("lets the client's console only read the log a page at a time and list its consumers: no event, no stream made or changed", () => {
    const { publish, subscribe } = permissionsOf('client');
    // What JetStreamTransport's read() and subscriptions() ask: a page is an ordered consumer (page-…_1) read with one fetch.
    for (const api of [
      '$JS.API.INFO',
      '$JS.API.STREAM.INFO.EVENTS',
      '$JS.API.CONSUMER.CREATE.EVENTS.page-1a2b_1',
      '$JS.API.CONSUMER.MSG.NEXT.EVENTS.page-1a2b_1',
      '$JS.API.CONSUMER.INFO.EVENTS.page-1a2b_1',
      '$JS.API.CONSUMER.DELETE.EVENTS.page-1a2b_1',
      '$JS.API.CONSUMER.LIST.EVENTS',
    ]) {
      expect({ api, allowed: permits(publish, api) }).toEqual({ api, allowed: true });
    }
    for (const subject of [
      'events.PostCreated',
      '$JS.API.STREAM.CREATE.EVENTS',
      '$JS.API.STREAM.CREATE.OTHER',
      '$JS.API.CONSUMER.CREATE.OTHER.c',
      '$JS.API.STREAM.LEADER.STEPDOWN.EVENTS',
      '$JS.API.STREAM.SNAPSHOT.EVENTS',
      '_INBOX.abc.1',
    ]) {
      expect({ subject, allowed: permits(publish, subject) }).toEqual({ subject, allowed: false });
    }
    expect(permits(subscribe, '_INBOX.abc.1')).toBe(true);
    expect(permits(subscribe, 'events.PostCreated') || permits(subscribe, '$JS.API.INFO')).toBe(false);
  });

  test('lets no user erase the log: delete or purge the stream, delete a message, or change the stream', () => {
    for (const { user } of users) {
      const { publish } = permissionsOf(user as string);
      for (const api of ['$JS.API.STREAM.DELETE.EVENTS', '$JS.API.STREAM.PURGE.EVENTS', '$JS.API.STREAM.MSG.DELETE.EVENTS', '$JS.API.STREAM.UPDATE.EVENTS']) {
        expect({ user, api, allowed: permits(publish, api) }).toEqual({ user, api, allowed: false });
      }
    }
  });

  test('reads a quoted password as a string whatever its characters, where a bare one of digits would be a number or no value at all', () => {
    const text = 'password: $PASSWORD';
    expect(parseNatsConf(text, { PASSWORD: '"0123456789"' }).password).toBe('0123456789');
    expect(parseNatsConf(text, { PASSWORD: '"12e4ab"' }).password).toBe('12e4ab');
    expect(parseNatsConf(text, { PASSWORD: '0123456789' }).password).toBe(123456789);
    expect(() => parseNatsConf(text, { PASSWORD: '12e4ab' })).toThrow(/no value/);
  });

  test('lets a server hand over before stopping: lame-duck settings and a pid file', () => {
    expect(natsMs(conf.lame_duck_duration)).toBeGreaterThan(0);
    expect(natsMs(conf.lame_duck_grace_period)).toBeGreaterThan(0);
    expect(String(conf.pid_file)).toMatch(/^\/.+\.pid$/);
  });
});
