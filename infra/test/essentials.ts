/**
 * What a set of manifests deploys, less comments, labels' order and other wording: each object's kind and
 * name, and what its pods run (replicas, env, ports, probes, resources, volumes, spread), its rules
 * (NetworkPolicy, PodDisruptionBudget) or its data. The overlay's test compares this for the rendered overlay
 * against fixtures/k8s-nats-essentials.json, taken from the full copy infra/k8s-nats was before it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './dockerfile';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: any;
};

/** Every object `kubectl kustomize <folder>` renders (kubectl reads the folder offline). */
export function rendered(folder: string): Obj[] {
  const text = execFileSync('kubectl', ['kustomize', path.join(ROOT, folder)], { encoding: 'utf8' });
  return parseAllDocuments(text).map((doc) => doc.toJS() as Obj);
}

const CONTAINER_FIELDS = [
  'name',
  'image',
  'command',
  'args',
  'env',
  'ports',
  'readinessProbe',
  'livenessProbe',
  'startupProbe',
  'resources',
  'lifecycle',
  'volumeMounts',
];

function podEssentials(pod: any): any {
  return {
    labels: pod.metadata.labels,
    annotations: pod.metadata.annotations,
    topologySpreadConstraints: pod.spec.topologySpreadConstraints,
    volumes: pod.spec.volumes,
    containers: pod.spec.containers.map((c: any) => Object.fromEntries(CONTAINER_FIELDS.filter((f) => c[f] !== undefined).map((f) => [f, c[f]]))),
  };
}

/** One object's essentials; undefined fields are left out, so JSON and the object compare alike. */
function essentialsOf(obj: Obj): any {
  const head = { kind: obj.kind, name: obj.metadata.name, labels: obj.metadata.labels, annotations: obj.metadata.annotations };
  switch (obj.kind) {
    case 'Deployment':
    case 'StatefulSet':
      return JSON.parse(
        JSON.stringify({
          ...head,
          replicas: obj.spec.replicas,
          selector: obj.spec.selector,
          volumeClaimTemplates: obj.spec.volumeClaimTemplates?.map((t: any) => ({ name: t.metadata.name, spec: t.spec })),
          pod: podEssentials(obj.spec.template),
        }),
      );
    case 'ConfigMap':
      return JSON.parse(JSON.stringify({ ...head, data: obj.data }));
    default:
      return JSON.parse(JSON.stringify({ ...head, spec: obj.spec }));
  }
}

/** Keys in name order at every depth, so the fixture reads the same however a tool ordered them. */
const sortedKeys = (value: any): any =>
  Array.isArray(value)
    ? value.map(sortedKeys)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((k) => [k, sortedKeys(value[k])]),
        )
      : value;

/** The essentials of every object, ordered by kind and name as no set promises an order. */
export function essentials(objects: Obj[]): any[] {
  const key = (o: Obj) => `${o.kind}/${o.metadata.name}`;
  return [...objects].sort((a, b) => key(a).localeCompare(key(b))).map((o) => sortedKeys(essentialsOf(o)));
}
