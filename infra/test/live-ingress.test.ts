/**
 * The live updates in infra/k8s: GET /posts/live (server-sent events from query) is an Ingress of its own, since
 * ingress-nginx's annotations apply to a whole Ingress: unbuffered, with a read timeout far longer than the
 * stream's 15 s pings, while every other route keeps nginx's 60 s. The local ingress reads the same annotations.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { loadRoutes } from '../../scripts/runtime/src/ingress';
import { SERVICES } from '../../scripts/runtime/src/registry';
import { ROOT } from './dockerfile';
import { objects } from './k8s-nats-set';

const PORT = Object.fromEntries(SERVICES.map((s) => [s.name, s.port]));
const BUFFERING = 'nginx.ingress.kubernetes.io/proxy-buffering';
const READ_TIMEOUT = 'nginx.ingress.kubernetes.io/proxy-read-timeout';

/* eslint-disable @typescript-eslint/no-explicit-any */
const load = (dir: string): any[] =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(ROOT, dir, f), 'utf8')).map((d) => d.toJS()));
const ingresses = load('infra/k8s').filter((o) => o.kind === 'Ingress');
const pathsOf = (ingress: any): any[] => ingress.spec.rules.flatMap((r: any) => r.http.paths);
const streaming = ingresses.filter((i) => i.metadata.annotations?.[BUFFERING] !== undefined || i.metadata.annotations?.[READ_TIMEOUT] !== undefined);

test('the live stream is one Ingress, valid against the schema, unbuffered and with an hour between reads', () => {
  expect(streaming.map((i) => i.metadata.name)).toEqual(['ingress-live']);
  const [live] = streaming;
  expect(() => new Ingress(live).validate()).not.toThrow();
  expect(live.metadata.annotations[BUFFERING]).toBe('off');
  expect(live.metadata.annotations[READ_TIMEOUT]).toBe('3600');
  expect(Object.keys(live.metadata.annotations).filter((k) => k.includes('/limit-'))).toEqual([]); // a reconnect is never refused
});

test("it holds the streams alone: /posts/live to query, and the console's /console/api/live to the client", () => {
  expect(pathsOf(streaming[0]).map((p) => [p.path, p.pathType, p.backend.service.name, p.backend.service.port.number])).toEqual([
    ['/posts/live', 'ImplementationSpecific', 'query-srv', PORT.query],
    ['/console/api/live', 'ImplementationSpecific', 'client-srv', PORT.client],
  ]);
});

test('infra/k8s-nats has the very same Ingress', () => {
  const nats = objects.filter((o) => o.kind === 'Ingress');
  expect(nats.find((i) => i.metadata.name === 'ingress-live')).toEqual(streaming[0]);
});

test('the Gateway API routes /posts/live to query with an Exact match, which beats the writes route /posts/ prefix', () => {
  const routes = load('infra/gateway-api').filter((o) => o.kind === 'HTTPRoute');
  const owners = routes.filter((r) => r.spec.rules.some((rule: any) => rule.matches.some((m: any) => m.path.value === '/posts/live')));
  expect(owners.map((r) => r.metadata.name)).toEqual(['posts-route']);
  const rule = owners[0].spec.rules.find((x: any) => x.matches.some((m: any) => m.path.value === '/posts/live'));
  expect(rule.matches.find((m: any) => m.path.value === '/posts/live').path.type).toBe('Exact');
  expect(rule.backendRefs).toEqual([{ name: 'query-srv', port: PORT.query }]);
});

test.each(['infra/k8s', 'infra/k8s-nats'])('the local ingress reads them from %s: the live route streams, the others keep the default', (dir) => {
  const routes = loadRoutes(path.join(ROOT, dir)).hosts.get('posts.com')!;
  expect(routes.map((r) => [r.path, r.readTimeoutMs, r.unbuffered])).toEqual([
    ['/posts/([^/]+)/comments', undefined, undefined],
    ['/console/api/live', 3_600_000, true],
    ['/posts/create', undefined, undefined],
    ['/posts/live', 3_600_000, true],
    ['/posts', undefined, undefined],
    ['/', undefined, undefined],
  ]);
});
