/**
 * Every object in infra/k8s against the Kubernetes schemas (kubernetes-models 4.x, offline), and the
 * references between objects that no schema sees: selectors, ports, backends, service URLs, images.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { imageName } from '../../scripts/ops/src/image-name';
import { SERVICES as REGISTRY } from '../../scripts/runtime/src/registry';
import { ROOT } from './dockerfile';

const SERVICES: string[] = REGISTRY.map((s) => s.name);
const PORTS: Record<string, number> = Object.fromEntries(REGISTRY.map((s) => [s.name, s.port]));
/** Where every pod serves /metrics: a port no Service exposes, so no ingress route reaches it. */
const METRICS_PORT = 9464;
/** The NetworkPolicy rule that lets Prometheus (in the namespace `monitoring`) scrape it. */
const SCRAPE_RULE = {
  from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
  ports: [{ protocol: 'TCP', port: METRICS_PORT }],
};

const K8S = path.join(ROOT, 'infra', 'k8s');
const MODEL_CLASSES: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

// Loose shapes for reading; the schemas above do the strict checking.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: any };

const files = fs
  .readdirSync(K8S)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const objects: { file: string; obj: Obj }[] = files.flatMap((file) =>
  parseAllDocuments(fs.readFileSync(path.join(K8S, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    return { file, obj: doc.toJS() as Obj };
  }),
);
const of = (kind: string): Obj[] => objects.filter((o) => o.obj.kind === kind).map((o) => o.obj);
const deployments = of('Deployment');
const services = of('Service');
const deploymentOf = (svc: string): Obj => {
  const found = deployments.find((d) => d.metadata.name === `${svc}-depl`);
  if (!found) throw new Error(`no Deployment ${svc}-depl`);
  return found;
};
const containerOf = (svc: string): any => deploymentOf(svc).spec.template.spec.containers[0];
/** A container's literal values (a value from a Secret is not one). */
const envOf = (svc: string): Record<string, string> =>
  Object.fromEntries(
    (containerOf(svc).env ?? []).filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]),
  );
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('the files in infra/k8s', () => {
  test("are plain YAML that `kubectl apply -f infra/k8s` applies as they are; the overlay's Kustomization has no .yaml name, so apply -f skips it", () => {
    expect(fs.readdirSync(K8S).filter((f) => !files.includes(f))).toEqual(['Kustomization']);
    expect(files.filter((f) => /^kustomization\.ya?ml$/i.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining([...SERVICES.map((s) => `${s}-depl.yaml`), 'ingress-srv.yaml']));
  });

  test.each(objects.map((o) => [`${o.file}: ${o.obj.kind} ${o.obj.metadata?.name}`, o.obj] as const))(
    '%s is valid against the Kubernetes schema',
    (_label, obj) => {
      const Model = MODEL_CLASSES[`${obj.apiVersion}/${obj.kind}`];
      expect(Model).toBeDefined();
      expect(() => new Model(obj as never).validate()).not.toThrow();
    },
  );

  test('the schema check catches a broken object (it can fail)', () => {
    const broken = structuredClone(deploymentOf('posts'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'four thousand';
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort/);
  });

  test('object names are unique per kind', () => {
    const keys = objects.map((o) => `${o.obj.kind}/${o.obj.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe.each(SERVICES)('%s', (svc) => {
  const port = PORTS[svc];

  test('has its Deployment and ClusterIP Service named <service>-depl and <service>-srv, in its own file', () => {
    const inFile = objects.filter((o) => o.file === `${svc}-depl.yaml`).map((o) => `${o.obj.kind}/${o.obj.metadata.name}`);
    expect(inFile).toEqual(expect.arrayContaining([`Deployment/${svc}-depl`, `Service/${svc}-srv`, `NetworkPolicy/${svc}-netpol`]));
    const service = services.find((s) => s.metadata.name === `${svc}-srv`);
    expect(service?.spec.type ?? 'ClusterIP').toBe('ClusterIP');
  });

  test('the pods carry app=<workspace> and the Deployment selects them', () => {
    const d = deploymentOf(svc);
    expect(d.spec.selector.matchLabels).toEqual({ app: svc });
    expect(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
  });

  test("the Service selects the Deployment's pods and targets the container port, which is the default PORT", () => {
    const service = services.find((s) => s.metadata.name === `${svc}-srv`)!;
    const d = deploymentOf(svc);
    expect(matches(service.spec.selector, d.spec.template.metadata.labels)).toBe(true);
    // No other Deployment's pods may fall under this selector.
    expect(deployments.filter((o) => matches(service.spec.selector, o.spec.template.metadata.labels))).toHaveLength(1);
    expect(service.spec.ports).toEqual([expect.objectContaining({ port, targetPort: port })]);
    expect(containerOf(svc).ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([port, METRICS_PORT]);
    expect(envOf(svc).PORT).toBe(String(port));
  });

  test('serves /metrics on the metrics port, which its pods announce to Prometheus and its Service does not expose', () => {
    expect(deploymentOf(svc).spec.template.metadata.annotations).toEqual(
      expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(METRICS_PORT), 'prometheus.io/path': '/metrics' }),
    );
    expect(containerOf(svc).ports).toContainEqual({ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' });
    expect(envOf(svc).METRICS_PORT).toBe(String(METRICS_PORT));
    const service = services.find((s) => s.metadata.name === `${svc}-srv`)!;
    for (const p of service.spec.ports) {
      expect([p.port, p.targetPort]).not.toContain(METRICS_PORT);
      expect(p.targetPort).not.toBe('metrics');
    }
  });

  test('runs the image `npm run images` builds, with a pull policy that works for a locally built image', () => {
    expect(containerOf(svc).image).toBe(imageName(svc));
    expect(containerOf(svc).imagePullPolicy).toMatch(/^(IfNotPresent|Never)$/);
  });

  test('is probed on /readyz and /healthz at its port', () => {
    const c = containerOf(svc);
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      expect([port, 'http']).toContain(probe.httpGet.port);
      if (probe.httpGet.port === 'http') expect(c.ports[0].name).toBe('http');
    }
  });

  test('has CPU and memory requests and limits', () => {
    const { requests, limits } = containerOf(svc).resources;
    for (const r of [requests, limits]) expect(Object.keys(r).sort()).toEqual(['cpu', 'memory']);
  });

  test('runs hardened: non-root, no privilege escalation, no capabilities, read-only root with a writable /tmp', () => {
    const pod = deploymentOf(svc).spec.template.spec;
    const c = containerOf(svc);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.securityContext.privileged ?? false).toBe(false);
    const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: { name: string }) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  test('sets the environment the service reads', () => {
    const env = envOf(svc);
    expect(env).toMatchObject({ PORT: String(port), HOST: '0.0.0.0', LOG_LEVEL: 'info' });
    if (svc !== 'event-bus') expect(env.EVENT_BUS_URL).toBe(`http://event-bus-srv:${PORTS['event-bus']}`);
    if (svc === 'moderation') expect(env.BANNED_WORDS).toBeTruthy();
  });

  test('every env var that names another service resolves to an existing Service and its port', () => {
    const urls = Object.values(envOf(svc))
      .flatMap((v) => v.split(','))
      .filter((v) => /^https?:\/\//.test(v));
    for (const raw of urls) {
      const url = new URL(raw);
      const target = services.find((s) => s.metadata.name === url.hostname);
      expect({ url: raw, service: target?.metadata.name }).toEqual({ url: raw, service: url.hostname });
      expect(target!.spec.ports.map((p: { port: number }) => String(p.port))).toContain(url.port);
    }
  });
});

describe('the event bus', () => {
  const pod = () => deploymentOf('event-bus').spec.template.spec;

  test('keeps its log on a PersistentVolumeClaim, with Recreate so two pods never share it', () => {
    const d = deploymentOf('event-bus');
    expect(d.spec.strategy.type).toBe('Recreate');
    expect(d.spec.replicas).toBe(1);
    const volume = pod().volumes.find((v: any) => v.persistentVolumeClaim);
    expect(of('PersistentVolumeClaim').map((p) => p.metadata.name)).toContain(volume.persistentVolumeClaim.claimName);
    const mount = containerOf('event-bus').volumeMounts.find((m: any) => m.name === volume.name);
    expect(mount.readOnly ?? false).toBe(false);
    expect(envOf('event-bus').EVENT_LOG_PATH.startsWith(`${mount.mountPath}/`)).toBe(true);
    // The volume must be writable by the non-root user.
    expect(pod().securityContext.fsGroup).toBe(pod().securityContext.runAsGroup);
  });

  test('delivers to every backend', () => {
    const subscribers = envOf('event-bus')
      .SUBSCRIBERS.split(',')
      .map((u) => new URL(u).hostname);
    expect(subscribers.sort()).toEqual(['comments-srv', 'moderation-srv', 'posts-srv', 'query-srv']);
  });
});

describe('the bus secret', () => {
  // The bus's clients name it in EVENT_BUS_URL; the bus delivers to SUBSCRIBERS.
  const talksToTheBus = SERVICES.filter((svc) => envOf(svc).EVENT_BUS_URL !== undefined || envOf(svc).SUBSCRIBERS !== undefined);

  test('the bus, the four backends and the client (its console reads the log) talk to the bus', () => {
    expect([...talksToTheBus].sort()).toEqual(['client', 'comments', 'event-bus', 'moderation', 'posts', 'query']);
  });

  test.each(talksToTheBus)('%s takes BUS_SECRET from the Secret bus-secret, and from nowhere else', (svc) => {
    const entries = (containerOf(svc).env ?? []).filter((e: { name: string }) => e.name === 'BUS_SECRET');
    // Not optional: a pod without the Secret does not start, rather than run the bus open.
    expect(entries).toEqual([{ name: 'BUS_SECRET', valueFrom: { secretKeyRef: { name: 'bus-secret', key: 'BUS_SECRET' } } }]);
  });

  test('no secret value is in the repository: no Secret object, no literal secret in any manifest', () => {
    const infra = path.join(ROOT, 'infra');
    const yamlFiles = fs.readdirSync(infra, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
    const docs = yamlFiles.flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(infra, f), 'utf8')).map((d) => d.toJS() as Obj));
    expect(docs.filter((d) => d?.kind === 'Secret').map((d) => d.metadata.name)).toEqual([]);
    const literalSecrets = deployments.flatMap((d) =>
      (d.spec.template.spec.containers as any[]).flatMap((c) =>
        (c.env ?? []).filter((e: any) => /SECRET|PASSWORD|TOKEN|KEY/i.test(e.name) && e.value !== undefined),
      ),
    );
    expect(literalSecrets).toEqual([]);
  });

  test('the secret npm start makes (in .data) is never committed, nor sent to an image build', () => {
    expect(fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.data/');
    expect(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n')).toContain('**/.data');
  });
});

describe('the Ingress', () => {
  const ingress = of('Ingress').find((i) => i.metadata.name === 'ingress-srv')!;
  // Both Ingresses of posts.com (the writes carry their own budget), as ingress-nginx merges them.
  const paths: { path: string; pathType: string; backend: any }[] = of('Ingress').flatMap((i) => i.spec.rules.flatMap((r: any) => r.http.paths));

  test('serves posts.com with the nginx class', () => {
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules.map((r: any) => r.host)).toEqual(['posts.com']);
  });

  test('routes each API path to the service that answers it, and the rest to the UI', () => {
    expect(paths.map((p) => [p.path, p.backend.service.name])).toEqual([
      ['/posts/create', 'posts-srv'],
      ['/posts/([^/]+)/comments', 'comments-srv'],
      ['/posts', 'query-srv'],
      ['/', 'client-srv'],
      ['/posts/live', 'query-srv'],
      ['/console/api/live', 'client-srv'],
    ]);
  });

  test('every backend names an existing Service and one of its ports', () => {
    for (const { backend } of paths) {
      const service = services.find((s) => s.metadata.name === backend.service.name);
      expect(service).toBeDefined();
      expect(service!.spec.ports.map((p: { port: number }) => p.port)).toContain(backend.service.port.number);
    }
  });

  test('regex paths are ImplementationSpecific (strict path validation refuses them as Prefix)', () => {
    const useRegex = ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/use-regex'] === 'true';
    for (const p of paths) {
      // With use-regex every path of the Ingress is a regex to nginx.
      if (useRegex || /[()[\]{}*+?^$|\\]/.test(p.path)) expect(p).toMatchObject({ pathType: 'ImplementationSpecific' });
    }
  });
});

describe('the NetworkPolicies', () => {
  const policies = of('NetworkPolicy');
  const INGRESS_NS = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } };
  const fromBus = { podSelector: { matchLabels: { app: 'event-bus' } } };
  const fromClient = { podSelector: { matchLabels: { app: 'client' } } };
  const policyFor = (svc: string): any => {
    const found = policies.filter((p) => matches(p.spec.podSelector.matchLabels, deploymentOf(svc).spec.template.metadata.labels));
    expect(found).toHaveLength(1);
    return found[0].spec;
  };

  test('every one selects the pods of an existing Deployment', () => {
    for (const p of policies) {
      expect(deployments.some((d) => matches(p.spec.podSelector.matchLabels, d.spec.template.metadata.labels))).toBe(true);
    }
  });

  /** Its rules but Prometheus's. */
  const appRules = (svc: string): any[] => policyFor(svc).ingress.filter((r: any) => r.ports[0].port !== METRICS_PORT);

  test.each(SERVICES)('%s accepts traffic on its port only, and Prometheus from the monitoring namespace on the metrics port', (svc) => {
    const spec = policyFor(svc);
    expect(spec.policyTypes).toEqual(['Ingress']);
    expect(spec.ingress.at(-1)).toEqual(SCRAPE_RULE);
    for (const rule of spec.ingress.slice(0, -1)) expect(rule.ports).toEqual([{ protocol: 'TCP', port: PORTS[svc] }]);
  });

  test("the bus accepts only the four backends and the client (the console's reads)", () => {
    const [rule] = policyFor('event-bus').ingress;
    expect(rule.from).toEqual([
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['posts', 'comments', 'query', 'moderation', 'client'] }] } },
    ]);
  });

  test.each(['posts', 'comments', 'query'])(
    "%s accepts the bus, the ingress controller and the client (the console reads its GET /state; query's live stream too)",
    (svc) => {
      expect(appRules(svc).flatMap((r: any) => r.from)).toEqual([fromBus, INGRESS_NS, fromClient]);
    },
  );

  test('moderation accepts the bus and the client (the console reads its GET /state), each in a rule of its own', () => {
    expect(appRules('moderation').map((r: any) => r.from)).toEqual([[fromBus], [fromClient]]);
  });

  test('the client accepts the ingress controller alone', () => {
    expect(appRules('client').flatMap((r: any) => r.from)).toEqual([INGRESS_NS]);
  });
});
