/**
 * What runs locally is read from infra/k8s, the files the cluster applies: which workspace each
 * Service reaches, and each Deployment's container environment with the cluster's hosts pointed at
 * loopback. So a setting changed for the cluster is changed for `npm start` too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

// YAML documents are untyped until checked where they are read.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = any;

/** Every document of every YAML file in `k8sDir` (multi-document files included), files in name order. */
export function readManifests(k8sDir: string): Doc[] {
  const files = readdirSync(k8sDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const docs: Doc[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(path.join(k8sDir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const value = doc.toJS();
      if (value && typeof value === 'object') docs.push(value);
    }
  }
  return docs;
}

export interface ServiceInfo {
  /** The workspace it reaches: its `selector.app`. */
  app: string;
  ports: number[];
}

/** Each `kind: Service` by name. */
export function servicesOf(docs: Doc[]): Map<string, ServiceInfo> {
  const services = new Map<string, ServiceInfo>();
  for (const doc of docs.filter((d) => d.kind === 'Service')) {
    const app = doc.spec?.selector?.app;
    if (typeof app !== 'string') throw new Error(`Service ${doc.metadata?.name} has no selector.app`);
    services.set(doc.metadata.name, { app, ports: (doc.spec.ports ?? []).map((p: Doc) => Number(p.port)) });
  }
  return services;
}

/** Each `kind: Deployment` by the workspace it runs: its pods' label `app`. */
export function deploymentsOf(docs: Doc[]): Map<string, Doc> {
  const deployments = new Map<string, Doc>();
  for (const doc of docs.filter((d) => d.kind === 'Deployment')) {
    const app = doc.spec?.template?.metadata?.labels?.app;
    if (typeof app !== 'string') throw new Error(`Deployment ${doc.metadata?.name} has no pod label app`);
    deployments.set(app, doc);
  }
  return deployments;
}

/**
 * `http://event-bus-srv:4005` → `http://127.0.0.1:<port>`, the loopback port where the workspace behind
 * that Service runs locally; a host that names no Service is left as it is.
 */
export function pointAtLoopback(value: string, services: Map<string, ServiceInfo>, localPorts: Readonly<Record<string, number>>): string {
  return value.replace(/\b([a-z0-9](?:[-a-z0-9]*[a-z0-9])?):(\d+)\b/g, (host, name: string, port: string) => {
    const service = services.get(name);
    if (!service) return host;
    if (!service.ports.includes(Number(port))) throw new Error(`${value}: Service ${name} has no port ${port}`);
    const local = localPorts[service.app];
    if (local === undefined) throw new Error(`${value}: ${service.app}, behind Service ${name}, does not run locally`);
    return `127.0.0.1:${local}`;
  });
}

/** The Secrets the cluster would hold, by name, then by key: what a `secretKeyRef` resolves to locally. */
export type Secrets = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * Each workspace's container environment as its Deployment sets it (one container per pod here),
 * with every `<service>:<port>` host pointed at loopback. A literal `value`, or a `secretKeyRef` to
 * one of `secrets` (the manifests hold no secret's value; the launcher makes them).
 */
export function loadEnvironments(k8sDir: string, localPorts: Readonly<Record<string, number>>, secrets: Secrets = {}): Map<string, Record<string, string>> {
  const docs = readManifests(k8sDir);
  const services = servicesOf(docs);
  const environments = new Map<string, Record<string, string>>();
  for (const [app, deployment] of deploymentsOf(docs)) {
    const env: Record<string, string> = {};
    for (const variable of deployment.spec.template.spec?.containers?.[0]?.env ?? []) {
      const where = `Deployment ${deployment.metadata?.name}: ${variable.name}`;
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref) {
        const value = secrets[ref.name]?.[ref.key];
        if (value === undefined) throw new Error(`${where} comes from Secret ${ref.name} (key ${ref.key}), which the launcher does not make`);
        env[variable.name] = value;
      } else if (variable.value !== undefined) {
        env[variable.name] = pointAtLoopback(String(variable.value), services, localPorts);
      } else {
        throw new Error(`${where} has neither a value nor a secretKeyRef; the launcher takes only those`);
      }
    }
    environments.set(app, env);
  }
  return environments;
}
