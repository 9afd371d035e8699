/**
 * The one list of posts.com's services, read from infra/k8s: each Deployment's pod label `app` names a service,
 * and the Service that selects its pods gives its port. The launcher, the images, the doctor and the tests read it.
 * Adding a service is its own folder (with its Dockerfile) and its manifest in infra/k8s.
 */
import path from 'node:path';
import { readManifests, servicesOf, workloadsOf, type Doc } from './manifests';
import { ROOT } from './root';

export interface ServiceEntry {
  /** Its folder, npm workspace, image name and pod label `app`. */
  name: string;
  /** Its port in the cluster (and its default `PORT`): the first port of its Service. */
  port: number;
}

/** A service's name: a Deployment's pod label `app` in infra/k8s. */
export type ServiceName = string;

/** Whether its pods keep data on a PersistentVolumeClaim: the event bus, whose volume holds the log. */
const holdsData = (workload: Doc): boolean => (workload.spec.template.spec.volumes ?? []).some((v: Doc) => v.persistentVolumeClaim);

/**
 * Each Deployment among `docs` with the first port of the one Service that selects its pods: in their order, but
 * one that holds data first, as it starts before the services that need it.
 */
export function servicesIn(docs: Doc[]): ServiceEntry[] {
  const services = [...servicesOf(docs)];
  return [...workloadsOf(docs)]
    .filter(([, workload]) => workload.kind === 'Deployment')
    .sort(([, a], [, b]) => Number(holdsData(b)) - Number(holdsData(a)))
    .map(([app]) => {
      const selecting = services.filter(([, service]) => service.app === app);
      if (selecting.length !== 1) throw new Error(`Deployment of app ${app}: one Service must select its pods, not ${selecting.length}`);
      const [name, { ports }] = selecting[0];
      if (ports.length === 0) throw new Error(`Service ${name} has no port`);
      return { name: app, port: ports[0] };
    });
}

export const SERVICES: readonly ServiceEntry[] = servicesIn(readManifests(path.join(ROOT, 'infra', 'k8s')));

export const SERVICE_NAMES: readonly ServiceName[] = SERVICES.map((s) => s.name);
