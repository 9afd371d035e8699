// What runs locally is read from the manifests the cluster applies, so a setting changed for the cluster is changed for `npm start` too.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './root';

// YAML documents are untyped until checked where they are read.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = any;

export const KUBECTL_INSTALL = 'install kubectl (https://kubernetes.io/docs/tasks/tools/)';

/** Every object `k8sDir` deploys: an overlay as `kubectl kustomize` renders it, else as `kubectl apply -f` reads the folder. */
export function readManifests(k8sDir: string): Doc[] {
  if (existsSync(path.join(k8sDir, 'kustomization.yaml'))) return documentsOf(rendered(k8sDir), `kubectl kustomize ${k8sDir}`);
  const files = readdirSync(k8sDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return readManifestFiles(k8sDir, files);
}

export function readManifestFiles(k8sDir: string, files: string[]): Doc[] {
  return files.flatMap((file) => documentsOf(readFileSync(path.join(k8sDir, file), 'utf8'), file));
}

function rendered(dir: string): string {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', env: process.env, maxBuffer: 64 * 2 ** 20 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${dir} is a kustomize overlay, and kubectl, which renders it, is not on PATH: ${KUBECTL_INSTALL}`);
  }
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr.trim()}`);
  return run.stdout;
}

function documentsOf(text: string, where: string): Doc[] {
  const docs: Doc[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value && typeof value === 'object') docs.push(value);
  }
  return docs;
}

export interface ServiceInfo {
  /** Its `selector.app`. */
  app: string;
  ports: number[];
  /** `clusterIP: None`: each pod is reachable as `<pod>.<service>`. */
  headless: boolean;
}

export function servicesOf(docs: Doc[]): Map<string, ServiceInfo> {
  const services = new Map<string, ServiceInfo>();
  for (const doc of docs.filter((d) => d.kind === 'Service')) {
    const app = doc.spec?.selector?.app;
    if (typeof app !== 'string') throw new Error(`Service ${doc.metadata?.name} has no selector.app`);
    const ports = (doc.spec.ports ?? []).map((p: Doc) => Number(p.port));
    services.set(doc.metadata.name, { app, ports, headless: doc.spec.clusterIP === 'None' });
  }
  return services;
}

/** Each Deployment and StatefulSet by its pods' label `app`. */
export function workloadsOf(docs: Doc[]): Map<string, Doc> {
  const workloads = new Map<string, Doc>();
  for (const doc of docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')) {
    const app = doc.spec?.template?.metadata?.labels?.app;
    if (typeof app !== 'string') throw new Error(`${doc.kind} ${doc.metadata?.name} has no pod label app`);
    workloads.set(app, doc);
  }
  return workloads;
}

/** `spec.replicas`, 1 when left out, as in Kubernetes. */
export function replicasOf(workload: Doc): number {
  return Number(workload.spec?.replicas ?? 1);
}

/** One container per pod here. */
export function containerOf(workload: Doc): Doc {
  return workload.spec.template.spec.containers[0];
}

/** `app`'s NODE_OPTIONS in infra/k8s: a service started on its own runs with the flags it is deployed with. */
export function nodeOptionsOf(app: string): string | undefined {
  const workload = workloadsOf(readManifests(path.join(ROOT, 'infra', 'k8s'))).get(app);
  const value = workload ? containerOf(workload).env?.find((e: Doc) => e.name === 'NODE_OPTIONS')?.value : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function containerPortsOf(workload: Doc): number[] {
  return (containerOf(workload).ports ?? []).map((p: Doc) => Number(p.containerPort));
}

/** A StatefulSet's `<name>-<ordinal>`; a Deployment's are random in a cluster, so locally the workspace's, numbered when several. */
export function podNamesOf(workload: Doc, app: string): string[] {
  const replicas = replicasOf(workload);
  const base = workload.kind === 'StatefulSet' ? workload.metadata.name : app;
  if (workload.kind === 'Deployment' && replicas === 1) return [app];
  return Array.from({ length: replicas }, (_, i) => `${base}-${i}`);
}

export interface LocalPod {
  name: string;
  app: string;
  /** Container port → loopback port. */
  ports: Readonly<Record<number, number>>;
}

/** `<service>:<port>` → its first pod's loopback port, and through a headless Service `<pod>.<service>:<port>` → that pod's. */
export function localAddresses(services: Map<string, ServiceInfo>, pods: LocalPod[]): Map<string, number> {
  const addresses = new Map<string, number>();
  for (const [name, service] of services) {
    const selected = pods.filter((p) => p.app === service.app);
    for (const port of service.ports) {
      const local = selected[0]?.ports[port];
      if (local !== undefined) addresses.set(`${name}:${port}`, local);
      if (service.headless) for (const pod of selected) if (pod.ports[port] !== undefined) addresses.set(`${pod.name}.${name}:${port}`, pod.ports[port]);
    }
  }
  return addresses;
}

/** `http://event-bus-srv:4005` → `http://127.0.0.1:<port>`; a host that names no Service is left as it is. */
export function pointAtLoopback(value: string, services: Map<string, ServiceInfo>, addresses: ReadonlyMap<string, number>): string {
  return value.replace(/\b([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?):(\d+)\b/g, (address, host: string, port: string) => {
    const name = host.split('.').at(-1)!;
    const service = services.get(name);
    if (!service) return address;
    if (!service.ports.includes(Number(port))) throw new Error(`${value}: Service ${name} has no port ${port}`);
    const local = addresses.get(address);
    if (local === undefined) throw new Error(`${value}: ${address} (${service.app}, behind Service ${name}) does not run locally`);
    return `127.0.0.1:${local}`;
  });
}

/** By Secret, then key: what a `secretKeyRef` resolves to locally. */
export type Secrets = Readonly<Record<string, Readonly<Record<string, string>>>>;

export interface LocalCluster {
  services: Map<string, ServiceInfo>;
  /** From localAddresses. */
  addresses: ReadonlyMap<string, number>;
  /** Made by the launcher: the manifests hold no secret's value. */
  secrets: Secrets;
}

/** As the kubelet makes it (`$(NAME)` expanded, `$$` a `$`), with every cluster address pointed at loopback. */
export function podEnvironment(workload: Doc, podName: string, cluster: LocalCluster): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of containerOf(workload).env ?? []) {
    const where = `${workload.kind} ${workload.metadata?.name}: ${variable.name}`;
    const secretRef = variable.valueFrom?.secretKeyRef;
    const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
    if (secretRef) {
      const value = cluster.secrets[secretRef.name]?.[secretRef.key];
      if (value === undefined) throw new Error(`${where} comes from Secret ${secretRef.name} (key ${secretRef.key}), which the launcher does not make`);
      env[variable.name] = value;
    } else if (fieldPath !== undefined) {
      if (fieldPath !== 'metadata.name') throw new Error(`${where} comes from the pod's ${fieldPath}; the launcher knows only metadata.name`);
      env[variable.name] = podName;
    } else if (variable.value !== undefined) {
      const expanded = String(variable.value).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name?: string) =>
        name === undefined ? '$' : (env[name] ?? whole),
      );
      env[variable.name] = pointAtLoopback(expanded, cluster.services, cluster.addresses);
    } else {
      throw new Error(`${where} has neither a value, a secretKeyRef nor a fieldRef; the launcher takes only those`);
    }
  }
  return env;
}

/** The keys the workloads take from `secret`: what the launcher must make. */
export function secretKeysOf(docs: Doc[], secret: string): string[] {
  const keys = new Set<string>();
  for (const workload of workloadsOf(docs).values()) {
    for (const variable of containerOf(workload).env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref?.name === secret) keys.add(ref.key);
    }
  }
  return [...keys];
}
