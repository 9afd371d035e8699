/**
 * infra/gateway-api (not applied by default): the HTTPRoutes must route like the Ingresses do, and
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
const ingresses = k8s.filter((o) => o.kind === 'Ingress');
const gateway = gw.find((o) => o.kind === 'Gateway');
const routes = gw.filter((o) => o.kind === 'HTTPRoute');
const routeNamed = (name: string) => routes.find((r) => r.metadata.name === name);
const backendsOf = (route: any): string[] => route.spec.rules.flatMap((r: any) => r.backendRefs.map((b: any) => b.name)).sort();

// ingress-nginx merges the Ingresses of one host into one list of paths.
function viaIngress(p: string): string | undefined {
  const paths: any[] = ingresses.flatMap((i) => i.spec.rules[0].http.paths);
  const sorted = [...paths].sort((a, b) => b.path.length - a.path.length);
  return sorted.find((x) => new RegExp(`^${x.path}`, 'i').test(p))?.backend.service.name;
}

function viaRoute(p: string): string | undefined {
  // Gateway API ranks the matches of every route attached to the listener together.
  const rules = routes.flatMap((route) => route.spec.rules);
  const matches = rules.flatMap((r: any) => r.matches.map((m: any) => ({ ...m.path, backend: r.backendRefs[0].name })));
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

test.each(routes.map((r) => [r.metadata.name, r]))(
  'the HTTPRoute %s attaches to the Gateway for posts.com, with v1 objects and Core matches only',
  (_name, route) => {
    expect(gateway.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec.parentRefs).toEqual([{ name: gateway.metadata.name, sectionName: gateway.spec.listeners[0].name }]);
    expect(route.spec.hostnames).toEqual(['posts.com']);
    expect(gateway.spec.listeners[0]).toMatchObject({ protocol: 'HTTP', port: 80, hostname: 'posts.com' });
    for (const rule of route.spec.rules) for (const m of rule.matches) expect(['Exact', 'PathPrefix']).toContain(m.path.type);
    // Standard fields only: the Gateway API has no rate-limit field, and none is made up here.
    expect(Object.keys(route.spec).sort()).toEqual(['hostnames', 'parentRefs', 'rules']);
    for (const rule of route.spec.rules) expect(Object.keys(rule).sort()).toEqual(['backendRefs', 'matches']);
  },
);

test('the writes are a route of their own, as they are an Ingress of their own, for a policy to target', () => {
  const writesIngress = ingresses.find((i) => i.metadata.annotations?.['nginx.ingress.kubernetes.io/limit-rps'] !== undefined);
  const ingressBackends = writesIngress.spec.rules[0].http.paths.map((p: any) => p.backend.service.name).sort();
  expect(backendsOf(routeNamed('posts-writes-route'))).toEqual(ingressBackends);
  expect(backendsOf(routeNamed('posts-writes-route'))).toEqual(['comments-srv', 'posts-srv']);
  expect(backendsOf(routeNamed('posts-route'))).toEqual(['client-srv', 'query-srv']);
});

test('every backendRef is a Service and port of infra/k8s', () => {
  for (const rule of routes.flatMap((route) => route.spec.rules)) {
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
  '/posts/page',
  '/posts/comments/page',
  '/posts/live',
  '/posts/live/comments',
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
