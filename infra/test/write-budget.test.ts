/**
 * The write budget in infra/k8s: the two write routes are an Ingress of their own with ingress-nginx's
 * rate-limit annotations (they apply to a whole Ingress), the reads and the page one without; ingress-nginx
 * merges the two for posts.com.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { SERVICES } from '../../scripts/runtime/src/registry';
import { ROOT } from './dockerfile';

const K8S = path.join(ROOT, 'infra', 'k8s');
const PORT = Object.fromEntries(SERVICES.map((s) => [s.name, s.port]));
const LIMIT_RPS = 'nginx.ingress.kubernetes.io/limit-rps';
const BURST_MULTIPLIER = 'nginx.ingress.kubernetes.io/limit-burst-multiplier';

// Loose shapes for reading; the schema does the strict checking.
/* eslint-disable @typescript-eslint/no-explicit-any */
const ingresses: any[] = fs
  .readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(K8S, f), 'utf8')).map((d) => d.toJS()))
  .filter((o) => o.kind === 'Ingress');
const pathsOf = (ingress: any): { path: string; pathType: string; backend: any }[] => ingress.spec.rules.flatMap((r: any) => r.http.paths);
const limited = ingresses.filter((i) => i.metadata.annotations?.[LIMIT_RPS] !== undefined);
const unlimited = ingresses.filter((i) => i.metadata.annotations?.[LIMIT_RPS] === undefined);

/** The Service a request path reaches through ingress-nginx: every Ingress's paths together, longest first, as regexes. */
function serviceFor(p: string): string | undefined {
  const paths = ingresses.flatMap(pathsOf).sort((a, b) => b.path.length - a.path.length);
  return paths.find((x) => new RegExp(`^${x.path}`, 'i').test(p))?.backend.service.name;
}

test('the writes are one Ingress with limit-rps 5 and a burst of 20, valid against the schema', () => {
  expect(limited.map((i) => i.metadata.name)).toEqual(['ingress-writes']);
  const [writes] = limited;
  expect(() => new Ingress(writes).validate()).not.toThrow();
  const rps = Number(writes.metadata.annotations[LIMIT_RPS]);
  const multiplier = Number(writes.metadata.annotations[BURST_MULTIPLIER]);
  expect({ rps, burst: rps * multiplier }).toEqual({ rps: 5, burst: 20 });
});

test('it holds the two write paths, to posts and comments, and nothing else', () => {
  expect(pathsOf(limited[0]).map((p) => [p.path, p.backend.service.name, p.backend.service.port.number])).toEqual([
    ['/posts/create', 'posts-srv', PORT.posts],
    ['/posts/([^/]+)/comments', 'comments-srv', PORT.comments],
  ]);
});

test('the reads and the page are in Ingresses without any limit-* annotation', () => {
  const unlimitedPaths = unlimited.flatMap(pathsOf).map((p) => p.path);
  expect(unlimitedPaths.sort()).toEqual(['/', '/console/api/live', '/posts', '/posts/live']);
  for (const ingress of unlimited) {
    expect(Object.keys(ingress.metadata.annotations ?? {}).filter((k) => k.startsWith('nginx.ingress.kubernetes.io/limit-'))).toEqual([]);
  }
});

test('ingress-nginx can merge them: one host, one class, the same regex and body-size settings, no host and path twice', () => {
  expect(new Set(ingresses.map((i) => i.spec.ingressClassName))).toEqual(new Set(['nginx']));
  expect(new Set(ingresses.flatMap((i) => i.spec.rules.map((r: any) => r.host)))).toEqual(new Set(['posts.com']));
  for (const key of ['nginx.ingress.kubernetes.io/use-regex', 'nginx.ingress.kubernetes.io/proxy-body-size']) {
    expect(new Set(ingresses.map((i) => i.metadata.annotations?.[key])).size).toBe(1);
  }
  for (const p of ingresses.flatMap(pathsOf)) expect(p.pathType).toBe('ImplementationSpecific');
  // The admission webhook refuses a host and path that another Ingress already defines.
  const all = ingresses.flatMap(pathsOf).map((p) => p.path);
  expect(new Set(all).size).toBe(all.length);
});

test.each([
  ['/posts/create', 'posts-srv'],
  ['/POSTS/create', 'posts-srv'],
  ['/posts/5f2c9a/comments', 'comments-srv'],
  ['/posts', 'query-srv'],
  ['/posts/live', 'query-srv'],
  ['/console/api/live', 'client-srv'],
  ['/console/api/events', 'client-srv'],
  ['/posts/a/b/comments', 'query-srv'],
  ['/', 'client-srv'],
  ['/assets/index.js', 'client-srv'],
])('%s still reaches %s through the merged Ingresses', (p, service) => {
  expect(serviceFor(p)).toBe(service);
});
