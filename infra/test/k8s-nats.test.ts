/**
 * infra/k8s-nats, the overlay that moves posts.com's log into NATS JetStream, as `kubectl kustomize` renders it:
 * what it deploys against the fixture taken from the full copy it replaced, every object against the Kubernetes
 * schemas (kubernetes-models 4.x, offline), and what the overlay is for: no event bus, two pods of each backend
 * kept by a budget, NATS reached as one user each, and who may reach whom. k8s-nats-server.test.ts runs nats.conf.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import ts from 'typescript';
import { parse } from 'yaml';
import { ROOT } from './dockerfile';
import { essentials } from './essentials';
import { BACKENDS, NATS_USERS, expandEnv, named, objects, references, type EnvVar, type Obj } from './k8s-nats-set';

/* eslint-disable @typescript-eslint/no-explicit-any */
const FIXTURE = path.join(__dirname, 'fixtures', 'k8s-nats-essentials.json');
const KINDS: Record<string, { model: new (data: never) => { validate(): void }; type: string }> = {
  'apps/v1/Deployment': { model: Deployment, type: "import('kubernetes-models/apps/v1').IDeployment" },
  'apps/v1/StatefulSet': { model: StatefulSet, type: "import('kubernetes-models/apps/v1').IStatefulSet" },
  'v1/Service': { model: Service, type: "import('kubernetes-models/v1').IService" },
  'v1/ConfigMap': { model: ConfigMap, type: "import('kubernetes-models/v1').IConfigMap" },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, type: "import('kubernetes-models/policy/v1').IPodDisruptionBudget" },
  'networking.k8s.io/v1/Ingress': { model: Ingress, type: "import('kubernetes-models/networking.k8s.io/v1').IIngress" },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, type: "import('kubernetes-models/networking.k8s.io/v1').INetworkPolicy" },
};
const label = (o: Obj) => `${o.kind} ${o.metadata.name}`;

/** What TypeScript finds wrong in each object typed as its kind: the fields `kubectl apply` would refuse, which the schema check lets through. */
function typeErrors(list: Obj[]): string[] {
  // Never written: the compiler reads it from memory, beside this test so the packages resolve.
  const file = path.join(ROOT, 'infra', 'test', '__k8s-nats-objects.ts');
  const text = list.map((obj, i) => `export const object${i}: ${KINDS[`${obj.apiVersion}/${obj.kind}`].type} = ${JSON.stringify(obj)};`).join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: [], target: ts.ScriptTarget.ES2022 };
  Object.assign(options, { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 });
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, text, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  const program = ts.createProgram([file], options, host);
  const source = program.getSourceFile(file)!;
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
    return `${label(list[line])}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

const kindOf = (kind: string): Obj[] => objects.filter((o) => o.kind === kind);
const workloads = [...kindOf('Deployment'), ...kindOf('StatefulSet')];
const deploymentOf = (svc: string): Obj => named('Deployment', `${svc}-depl`);
const envOf = (workload: Obj): EnvVar[] => workload.spec.template.spec.containers[0].env ?? [];
const statefulSet = named('StatefulSet', 'nats');
const natsPod = statefulSet.spec.template.spec;
const natsContainer = natsPod.containers[0];
const natsEnv = envOf(statefulSet);
const containerPort = (name: string): number => natsContainer.ports.find((p: any) => p.name === name).containerPort;
const conf: string = named('ConfigMap', 'nats-config').data['nats.conf'];
/** A setting of nats.conf as written, `key: value` on a line of its own (the first one of that key). */
const setting = (key: string): string => {
  const found = new RegExp(`^\\s*${key}: (.+)$`, 'm').exec(conf);
  if (!found) throw new Error(`nats.conf has no ${key}`);
  return found[1].trim();
};
const seconds = (duration: string): number => Number(/^(\d+)s$/.exec(duration)![1]);
const portOf = (listen: string): number => Number(listen.split(':').pop());

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
/** A label selector as the API server reads one (`matchLabels`, and `matchExpressions` with In). */
function selects(selector: Selector, labels: Record<string, string> = {}): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabel && (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => operator === 'In' && values.includes(labels[key]));
}
const podsSelectedBy = (selector: Selector): Obj[] => workloads.filter((w) => selects(selector, w.spec.template.metadata.labels));

describe('the overlay', () => {
  test('renders what the full copy it replaced deployed (after a deliberate change, WRITE_ESSENTIALS=1 rewrites the fixture: review its diff)', () => {
    if (process.env.WRITE_ESSENTIALS === '1') fs.writeFileSync(FIXTURE, `${JSON.stringify(essentials(objects), null, 2)}\n`);
    expect(essentials(objects)).toEqual(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
  });

  test('builds on every file of infra/k8s: its Kustomization lists each one `kubectl apply -f infra/k8s` applies, and skips itself', () => {
    const base = path.join(ROOT, 'infra', 'k8s');
    const yamlFiles = fs.readdirSync(base).filter((f) => /\.ya?ml$/.test(f));
    expect([...parse(fs.readFileSync(path.join(base, 'Kustomization'), 'utf8')).resources].sort()).toEqual(yamlFiles.sort());
    expect(parse(fs.readFileSync(path.join(ROOT, 'infra', 'k8s-nats', 'kustomization.yaml'), 'utf8')).resources[0]).toBe('../k8s');
    expect(objects.filter((o) => o.metadata.namespace !== undefined)).toEqual([]);
  });

  test('holds at most 700 lines of YAML', () => {
    const dir = path.join(ROOT, 'infra', 'k8s-nats');
    const lines = fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .reduce((sum, f) => sum + fs.readFileSync(path.join(dir, f), 'utf8').split('\n').length - 1, 0);
    expect(lines).toBeLessThanOrEqual(700);
  });

  test.each(objects.map((o) => [label(o), o] as const))('%s is valid against the Kubernetes schema', (_label, obj) => {
    const kind = KINDS[`${obj.apiVersion}/${obj.kind}`];
    expect(kind).toBeDefined();
    expect(() => new kind.model(obj as never).validate()).not.toThrow();
  });

  test('the schema check catches a broken StatefulSet (it can fail)', () => {
    const broken = structuredClone(statefulSet);
    broken.spec.volumeClaimTemplates[0].spec.resources.requests.storage = { size: 2 };
    expect(() => new StatefulSet(broken as never).validate()).toThrow(/storage/);
  });

  test('every field is one the Kubernetes API has, as `kubectl apply` checks', () => {
    const typo = structuredClone(named('Service', 'nats'));
    typo.spec.publishNotReadyAdresses = typo.spec.publishNotReadyAddresses;
    // The check can fail: the misspelt copy is caught, and nothing else.
    expect(typeErrors([...objects, typo])).toEqual([expect.stringMatching(/^Service nats: .*publishNotReadyAdresses/)]);
  });

  test('names each object once per kind, each part of posts-com', () => {
    const keys = objects.map(label);
    expect(new Set(keys).size).toBe(keys.length);
    expect(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] !== 'posts-com').map(label)).toEqual([]);
  });

  test('holds the NATS cluster, the four backends, the client and the Ingresses, and no event bus nor its volume', () => {
    expect(
      kindOf('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['client-depl', 'comments-depl', 'moderation-depl', 'posts-depl', 'query-depl']);
    expect(kindOf('StatefulSet').map((s) => s.metadata.name)).toEqual(['nats']);
    expect(kindOf('PersistentVolumeClaim')).toEqual([]);
    expect(JSON.stringify(objects)).not.toMatch(/event-bus|bus-secret|BUS_SECRET/);
  });

  test('holds no Secret and no password: every credential in an env value is a $(VAR) from a Secret', () => {
    expect(kindOf('Secret')).toEqual([]);
    for (const workload of workloads) {
      const env = envOf(workload);
      const fromSecret = new Set(env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name));
      const withoutSecrets = (text: string) => text.replace(/\$\(([A-Za-z0-9_]+)\)/g, (whole, name: string) => (fromSecret.has(name) ? '' : whole));
      for (const e of env.filter((e) => e.value !== undefined)) {
        const where = `${workload.metadata.name} ${e.name}`;
        // A literal may only wrap a secret's value (in quotes, for nats.conf).
        if (/PASSWORD|SECRET|TOKEN|KEY/i.test(e.name))
          expect({ where, rest: withoutSecrets(e.value!) }).toEqual({ where, rest: expect.stringMatching(/^("")?$/) });
        // A URL's password is a secret's value and nothing else.
        for (const url of e.value!.split(',').filter((v) => /^[a-z]+:\/\/[^/]*@/.test(v))) {
          const password = /^[a-z]+:\/\/[^:/@]*:([^@]*)@/.exec(url)?.[1] ?? '';
          expect({ where, password, rest: withoutSecrets(password) }).toEqual({ where, password: expect.stringMatching(/^\$\(/), rest: '' });
        }
      }
    }
  });
});

describe('the backends', () => {
  test.each(BACKENDS)('%s runs two replicas or more, spread across nodes, and a PodDisruptionBudget keeps one of them', (svc) => {
    const d = deploymentOf(svc);
    expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
    const [spread, ...others] = d.spec.template.spec.topologySpreadConstraints;
    expect(others).toEqual([]);
    expect(spread).toMatchObject({ maxSkew: 1, topologyKey: 'kubernetes.io/hostname' });
    expect(podsSelectedBy(spread.labelSelector)).toEqual([d]);
    const budgets = kindOf('PodDisruptionBudget').filter((b) => selects(b.spec.selector, d.spec.template.metadata.labels));
    expect(budgets.map((b) => [b.metadata.name, b.spec])).toEqual([[`${svc}-pdb`, { minAvailable: 1, selector: { matchLabels: { app: svc } } }]]);
    expect(podsSelectedBy(budgets[0].spec.selector)).toEqual([d]);
  });

  test.each(NATS_USERS)('%s reaches the three NATS servers as its own user, with its password from the Secret', (svc) => {
    const env = envOf(deploymentOf(svc));
    expect(env.find((e) => e.name === 'NATS_USER')).toEqual({ name: 'NATS_USER', value: svc });
    expect(env.find((e) => e.name === 'NATS_PASSWORD')).toEqual({ name: 'NATS_PASSWORD', valueFrom: { secretKeyRef: { name: 'nats-users', key: svc } } });
    const url = env.find((e) => e.name === 'EVENT_BUS_URL')!;
    // Kubernetes fills in $(VAR) only from entries above it.
    const above = new Set(env.slice(0, env.indexOf(url)).map((e) => e.name));
    expect(references(url.value!).filter((name) => !above.has(name))).toEqual([]);
    const servers = expandEnv(env, { secrets: { 'nats-users': { [svc]: `pw-${svc}` } }, fields: {} })
      .EVENT_BUS_URL.split(',')
      .map((u) => new URL(u));
    const pods = Array.from({ length: statefulSet.spec.replicas }, (_, i) => `${statefulSet.metadata.name}-${i}.${statefulSet.spec.serviceName}`);
    expect(servers.map((u) => [u.protocol, u.username, u.password, u.hostname, Number(u.port)])).toEqual(
      pods.map((host) => ['nats:', svc, `pw-${svc}`, host, portOf(setting('listen'))]),
    );
  });

  test("each user's password is its key of the Secret nats-users, which the README's command makes with exactly those keys", () => {
    const referenced = workloads.flatMap(envOf).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []));
    expect(new Set(referenced.map((r) => r.name))).toEqual(new Set(['nats-users']));
    const keys = [...new Set(referenced.map((r) => r.key))].sort();
    expect(keys).toEqual([...NATS_USERS].sort());
    const commandsIn = (file: string) =>
      fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .filter((line) => /kubectl create secret generic nats-users\s/.test(line))
        .map((line) => [...line.matchAll(/--from-literal=([A-Za-z0-9_.-]+)=/g)].map((m) => m[1]).sort());
    expect(commandsIn('infra/k8s-nats/README.md')).toEqual([keys]);
    // The top-level README may carry the command too: then it must make the same keys.
    for (const command of commandsIn('README.md')) expect(command).toEqual(keys);
  });
});

describe('the Services and NetworkPolicies', () => {
  const policies = kindOf('NetworkPolicy');
  const policyFor = (workload: Obj): Obj => {
    const found = policies.filter((p) => selects(p.spec.podSelector, workload.spec.template.metadata.labels));
    expect(found).toHaveLength(1);
    return found[0];
  };

  test.each(kindOf('Service').map((s) => [s.metadata.name, s] as const))(
    '%s selects the pods of one workload and targets ports they have',
    (_name, service) => {
      const [workload, ...others] = podsSelectedBy({ matchLabels: service.spec.selector });
      expect(others).toEqual([]);
      const ports = workload.spec.template.spec.containers.flatMap((c: any) => c.ports);
      for (const { targetPort } of service.spec.ports) expect(ports.some((p: any) => p.containerPort === targetPort || p.name === targetPort)).toBe(true);
    },
  );

  test('every Ingress backend is a Service and port of the overlay', () => {
    for (const backend of kindOf('Ingress').flatMap((i) => i.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => p.backend.service)))) {
      expect(named('Service', backend.name).spec.ports.map((p: any) => p.port)).toContain(backend.port.number);
    }
  });

  test('nats is headless and names the pods before they are ready; nats-srv is one address for the ready ones', () => {
    expect(named('Service', statefulSet.spec.serviceName).spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(named('Service', 'nats-srv').spec.ports).toEqual([{ name: 'client', protocol: 'TCP', port: containerPort('client'), targetPort: 'client' }]);
  });

  test('each workload has one policy, and each policy selects the pods of a workload', () => {
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
    expect(
      podsSelectedBy(sourcesOf(containerPort('client'))[0].podSelector)
        .map((w) => w.metadata.name)
        .sort(),
    ).toEqual(NATS_USERS.map((s) => `${s}-depl`).sort());
    expect(sourcesOf(containerPort('cluster'))).toEqual([{ podSelector: { matchLabels: statefulSet.spec.selector.matchLabels } }]);
    // The kubelet's probes come from the node, which NetworkPolicies do not block.
    expect(spec.ingress.flatMap((r: any) => r.ports)).toEqual([
      { protocol: 'TCP', port: 4222 },
      { protocol: 'TCP', port: 6222 },
    ]);
  });

  test('nothing pushes to a backend: posts, comments and query accept the ingress controller and the console, moderation the console alone', () => {
    const INGRESS_NS = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } };
    const CONSOLE = { podSelector: { matchLabels: { app: 'client' } } };
    const SCRAPE_RULE = {
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ protocol: 'TCP', port: 9464 }],
    };
    for (const [svc, sources] of [
      ['posts', [INGRESS_NS, CONSOLE]],
      ['comments', [INGRESS_NS, CONSOLE]],
      ['query', [INGRESS_NS, CONSOLE]],
      ['moderation', [CONSOLE]],
    ] as const) {
      const { ingress } = policyFor(deploymentOf(svc)).spec;
      expect({ svc, sources: ingress.slice(0, -1).flatMap((r: any) => r.from), scrape: ingress.at(-1) }).toEqual({ svc, sources, scrape: SCRAPE_RULE });
    }
  });
});

describe('the NATS StatefulSet', () => {
  test('runs three servers of a pinned NATS image of 2.12 or later, started together, named by the headless Service', () => {
    const [major, minor] = /^nats:(\d+)\.(\d+)\.(\d+)-alpine$/.exec(natsContainer.image)!.slice(1).map(Number);
    expect(major > 2 || (major === 2 && minor >= 12)).toBe(true);
    expect(statefulSet.spec).toMatchObject({ replicas: 3, podManagementPolicy: 'Parallel' });
    expect(podsSelectedBy(statefulSet.spec.selector)).toEqual([statefulSet]);
  });

  test('reads nats.conf from the ConfigMap nats-config, and listens where its container ports say', () => {
    const volume = natsPod.volumes.find((v: any) => v.configMap);
    expect(volume.configMap.name).toBe('nats-config');
    const mount = natsContainer.volumeMounts.find((m: any) => m.name === volume.name);
    expect(natsContainer.command).toEqual(['nats-server']);
    expect(natsContainer.args).toEqual(['--config', `${mount.mountPath}/nats.conf`]);
    expect([portOf(setting('listen')), portOf(/cluster \{[^}]*?listen: (\S+)/.exec(conf)![1]), Number(setting('http_port'))]).toEqual(
      ['client', 'cluster', 'monitor'].map(containerPort),
    );
  });

  test('keeps each server’s store on a volume of its own, writable by the server, with room beyond what JetStream may fill', () => {
    const [template, ...others] = statefulSet.spec.volumeClaimTemplates;
    expect(others).toEqual([]);
    expect(template.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(natsContainer.volumeMounts.find((m: any) => m.name === template.metadata.name)).toEqual({
      name: template.metadata.name,
      mountPath: setting('store_dir'),
    });
    const gigabytes = (q: string, unit: RegExp) => Number(unit.exec(q)![1]);
    expect(gigabytes(setting('max_file_store'), /^(\d+)GB$/) * 1e9).toBeLessThanOrEqual(
      gigabytes(template.spec.resources.requests.storage, /^(\d+)Gi$/) * 2 ** 30 * 0.75,
    );
    expect(natsPod.securityContext.fsGroup).toBe(natsPod.securityContext.runAsGroup);
    expect(statefulSet.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('is probed on /healthz: started once JetStream is current, ready as a server, alive while JetStream runs', () => {
    const { startupProbe, readinessProbe, livenessProbe } = natsContainer;
    expect([startupProbe, readinessProbe, livenessProbe].map((p) => [p.httpGet.port, p.httpGet.path])).toEqual([
      ['monitor', '/healthz'],
      ['monitor', '/healthz?js-server-only=true'],
      ['monitor', '/healthz?js-enabled-only=true'],
    ]);
    // Catching up after a restart may take a while: minutes before the kubelet gives up.
    expect(startupProbe.periodSeconds * startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
  });

  test('enters lame-duck mode before it stops, through the pid file nats.conf names on a volume, and has the time to finish it', () => {
    const pidFile = setting('pid_file');
    expect(natsContainer.lifecycle.preStop.exec.command).toEqual(['nats-server', '--signal', `ldm=${pidFile}`]);
    const mount = natsContainer.volumeMounts.find((m: any) => m.mountPath === path.posix.dirname(pidFile));
    expect(natsPod.volumes.find((v: any) => v.name === mount?.name)?.emptyDir).toBeDefined();
    expect(natsPod.terminationGracePeriodSeconds).toBeGreaterThan(seconds(setting('lame_duck_duration')) + seconds(setting('lame_duck_grace_period')));
  });

  test('runs hardened, with requests and limits, its Go heap kept under the memory limit', () => {
    expect(natsPod).toMatchObject({ automountServiceAccountToken: false, enableServiceLinks: false });
    expect(natsPod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(natsContainer.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const { requests, limits } = natsContainer.resources;
    for (const r of [requests, limits]) expect(Object.keys(r).sort()).toEqual(['cpu', 'memory']);
    const mebibytes = (q: string) => Number(/^(\d+)Mi(B)?$/.exec(q)![1]);
    expect(mebibytes(natsEnv.find((e) => e.name === 'GOMEMLIMIT')!.value!)).toBeLessThan(mebibytes(limits.memory));
  });

  test('spreads its servers across nodes, and a disruption takes one at a time, which keeps the quorum', () => {
    const [spread] = natsPod.topologySpreadConstraints;
    expect(spread).toMatchObject({ maxSkew: 1, topologyKey: 'kubernetes.io/hostname' });
    expect(podsSelectedBy(spread.labelSelector)).toEqual([statefulSet]);
    const budget = kindOf('PodDisruptionBudget').find((b) => selects(b.spec.selector, statefulSet.spec.template.metadata.labels))!;
    expect(budget.spec.maxUnavailable).toBe(1);
    expect(statefulSet.spec.replicas - budget.spec.maxUnavailable).toBeGreaterThan(statefulSet.spec.replicas / 2);
  });

  test('gives nats.conf its pod name, and each user the password quoted from its key of the Secret nats-users', () => {
    const entry = (name: string) => natsEnv.find((e) => e.name === name)!;
    expect(setting('server_name')).toBe('$SERVER_NAME');
    expect(entry('SERVER_NAME').valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    const users = [...conf.matchAll(/\{ user: (\w+), password: \$(\w+),/g)].map((m) => ({ user: m[1], variable: m[2] }));
    expect(users.map((u) => u.user).sort()).toEqual([...NATS_USERS].sort());
    for (const { user, variable } of users) {
      const [raw] = references(entry(variable).value ?? '');
      expect({ user, value: entry(variable).value }).toEqual({ user, value: `"$(${raw})"` });
      expect(natsEnv.indexOf(entry(raw))).toBeLessThan(natsEnv.indexOf(entry(variable)));
      expect({ user, ref: entry(raw).valueFrom?.secretKeyRef }).toEqual({ user, ref: { name: 'nats-users', key: user } });
    }
  });
});
