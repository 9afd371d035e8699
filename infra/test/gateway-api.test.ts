/**
 * infra/gateway-api (not applied by default): the HTTPRoute must route like ingress-srv does, and
 * reference only what infra/k8s defines. ingress-nginx's order (regexes, longest first, anchored at
 * the start, case-insensitive) and Gateway API's (Exact, then the longest PathPrefix, element-wise)
 * are modelled here and compared path by path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ROOT } from './dockerfile';

/* eslint-disable @typescript-eslint/no-explicit-any */
const load = (dir: string): any[] =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(ROOT, dir, f), 'utf8')).map((d) => d.toJS()));
const k8s = load('infra/k8s');
const gw = load('infra/gateway-api');
const ingress = k8s.find((o) => o.kind === 'Ingress');
const gateway = gw.find((o) => o.kind === 'Gateway');
const route = gw.find((o) => o.kind === 'HTTPRoute');

function viaIngress(p: string): string | undefined {
  const paths: any[] = ingress.spec.rules[0].http.paths;
  const sorted = [...paths].sort((a, b) => b.path.length - a.path.length);
  return sorted.find((x) => new RegExp(`^${x.path}`, 'i').test(p))?.backend.service.name;
}

function viaRoute(p: string): string | undefined {
  const matches = route.spec.rules.flatMap((r: any) => r.matches.map((m: any) => ({ ...m.path, backend: r.backendRefs[0].name })));
  const exact = matches.find((m: any) => m.type === 'Exact' && m.value === p);
  if (exact) return exact.backend;
  const prefixes = matches
    .filter((m: any) => m.type === 'PathPrefix')
    .filter((m: any) => {
      // Element-wise, and a trailing slash in the value is ignored.
      const v = m.value.replace(/\/+$/, '');
      return v === '' || p === v || p.startsWith(`${v}/`);
    })
    .sort((a: any, b: any) => b.value.length - a.value.length);
  return prefixes[0]?.backend;
}

test('is not under infra/k8s, so `kubectl apply -f infra/k8s` leaves it out', () => {
  expect(k8s.filter((o) => String(o.apiVersion).startsWith('gateway.networking.k8s.io'))).toEqual([]);
});

test('the HTTPRoute attaches to the Gateway for posts.com, with v1 objects and Core matches only', () => {
  expect(gateway.apiVersion).toBe('gateway.networking.k8s.io/v1');
  expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
  expect(route.spec.parentRefs).toEqual([{ name: gateway.metadata.name, sectionName: gateway.spec.listeners[0].name }]);
  expect(route.spec.hostnames).toEqual(['posts.com']);
  expect(gateway.spec.listeners[0]).toMatchObject({ protocol: 'HTTP', port: 80, hostname: 'posts.com' });
  for (const rule of route.spec.rules) for (const m of rule.matches) expect(['Exact', 'PathPrefix']).toContain(m.path.type);
});

test('every backendRef is a Service and port of infra/k8s', () => {
  for (const rule of route.spec.rules) {
    for (const ref of rule.backendRefs) {
      const svc = k8s.find((o) => o.kind === 'Service' && o.metadata.name === ref.name);
      expect(svc?.spec.ports.map((p: any) => p.port)).toContain(ref.port);
    }
  }
});

test.each([
  '/posts/create',
  '/posts',
  '/posts/',
  '/posts/5f2c9a/comments',
  '/posts/abc/comments/',
  '/',
  '/index.html',
  '/assets/index-abc.js',
  '/favicon.ico',
  '/about',
])('%s goes to the same Service as through the Ingress', (p) => {
  expect(viaRoute(p)).toBeDefined();
  expect(viaRoute(p)).toBe(viaIngress(p));
});

test('its NetworkPolicy is valid and admits the Gateway to the four public services only', () => {
  const policy = gw.find((o) => o.kind === 'NetworkPolicy');
  expect(() => new NetworkPolicy(policy).validate()).not.toThrow();
  expect(policy.spec.podSelector.matchExpressions[0].values.sort()).toEqual(['client', 'comments', 'posts', 'query']);
  expect(policy.spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': gateway.metadata.name } } }]);
});
