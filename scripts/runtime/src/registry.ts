/**
 * The one list of posts.com's services: the launcher, the images, the doctor and the tests read it.
 * Adding a service is its own folder (with its Dockerfile), its manifest in infra/k8s, and a line here.
 */
export interface ServiceEntry {
  /** Its folder, npm workspace, image name and pod label `app`. */
  name: string;
  /** Its port in the cluster (and its default `PORT`). */
  port: number;
}

export const SERVICES = [
  { name: 'event-bus', port: 4005 },
  { name: 'posts', port: 4000 },
  { name: 'comments', port: 4001 },
  { name: 'query', port: 4002 },
  { name: 'moderation', port: 4003 },
  { name: 'client', port: 3000 },
] as const satisfies readonly ServiceEntry[];

export type ServiceName = (typeof SERVICES)[number]['name'];

export const SERVICE_NAMES: readonly ServiceName[] = SERVICES.map((s) => s.name);
