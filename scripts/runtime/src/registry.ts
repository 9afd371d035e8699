// The one list of posts.com's services, read from infra/k8s: each Deployment's pod label `app`, and its Service's first port.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { readManifestFiles, servicesOf, workloadsOf, type Doc } from './manifests';
import { ROOT } from './root';

export interface ServiceEntry {
  /** Its folder, npm workspace, image name and pod label `app`. */
  name: string;
  port: number;
}

/** A service's name: a Deployment's pod label `app` in infra/k8s. */
export type ServiceName = string;

export function servicesIn(docs: Doc[]): ServiceEntry[] {
  const services = [...servicesOf(docs)];
  return [...workloadsOf(docs)]
    .filter(([, workload]) => workload.kind === 'Deployment')
    .map(([app]) => {
      const selecting = services.filter(([, service]) => service.app === app);
      if (selecting.length !== 1) throw new Error(`Deployment of app ${app}: one Service must select its pods, not ${selecting.length}`);
      const [, service] = selecting[0];
      return { name: app, port: service.ports[0] };
    });
}

const K8S = path.join(ROOT, 'infra', 'k8s');
// In its Kustomization's order: the event bus first, as it starts first.
const files: string[] = parse(readFileSync(path.join(K8S, 'Kustomization'), 'utf8')).resources;

export const SERVICES: readonly ServiceEntry[] = servicesIn(readManifestFiles(K8S, files));

export const SERVICE_NAMES: readonly ServiceName[] = SERVICES.map((s) => s.name);
