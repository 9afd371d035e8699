import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploymentsOf, loadEnvironments, pointAtLoopback, readManifests, servicesOf } from '../src/manifests';
import { SERVICE_NAMES, SERVICES } from '../src/registry';

const realK8s = path.resolve(__dirname, '../../../infra/k8s');
const docs = readManifests(realK8s);

describe('the registry and the real infra/k8s agree', () => {
  test('every service has a Deployment, and every Deployment is a service', () => {
    expect([...deploymentsOf(docs).keys()].sort()).toEqual([...SERVICE_NAMES].sort());
  });

  test("every service is reached by a Service on the registry's port", () => {
    const services = [...servicesOf(docs).values()];
    for (const { name, port } of SERVICES) {
      expect(services.filter((s) => s.app === name)).toEqual([{ app: name, ports: [port] }]);
    }
  });
});

describe("each service's environment, from its Deployment", () => {
  const localPorts = Object.fromEntries(SERVICE_NAMES.map((name, i) => [name, 50_000 + i]));
  const env = loadEnvironments(realK8s, localPorts, { 'bus-secret': { BUS_SECRET: 'the local secret' } });
  const local = (name: string) => `http://127.0.0.1:${localPorts[name]}`;

  test('the cluster hosts point at the local ports', () => {
    expect(env.get('event-bus')!.SUBSCRIBERS.split(',')).toEqual(['posts', 'comments', 'query', 'moderation'].map((s) => `${local(s)}/events`));
    for (const name of ['posts', 'comments', 'query', 'moderation']) expect(env.get(name)!.EVENT_BUS_URL).toBe(local('event-bus'));
    expect(env.get('client')!.EVENT_BUS_URL).toBeUndefined();
  });

  test('BUS_SECRET comes from the Secret the launcher makes, for the bus and every service that talks to it', () => {
    for (const name of ['event-bus', 'posts', 'comments', 'query', 'moderation']) expect([name, env.get(name)!.BUS_SECRET]).toEqual([name, 'the local secret']);
    expect(env.get('client')!.BUS_SECRET).toBeUndefined();
  });

  test('a secretKeyRef to a Secret the launcher does not make is an error naming it', () => {
    expect(() => loadEnvironments(realK8s, localPorts)).toThrow(/BUS_SECRET comes from Secret bus-secret \(key BUS_SECRET\), which the launcher does not make/);
    expect(() => loadEnvironments(realK8s, localPorts, { 'bus-secret': { OTHER: 'x' } })).toThrow(/Secret bus-secret \(key BUS_SECRET\)/);
  });

  test('a variable with neither a value nor a secretKeyRef is an error naming it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'manifests-'));
    try {
      cpSync(realK8s, dir, { recursive: true });
      const file = path.join(dir, 'posts-depl.yaml');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          /- name: BUS_SECRET\n\s+valueFrom:\n\s+secretKeyRef:\n\s+name: bus-secret\n\s+key: BUS_SECRET/,
          '- name: BUS_SECRET',
        ),
      );
      expect(() => loadEnvironments(dir, localPorts, { 'bus-secret': { BUS_SECRET: 'x' } })).toThrow(
        /posts-depl: BUS_SECRET has neither a value nor a secretKeyRef/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the rest is as the manifest has it (the launcher replaces what is local)', () => {
    expect(env.get('moderation')).toMatchObject({ BANNED_WORDS: 'orange', PORT: '4003', HOST: '0.0.0.0' });
    expect(env.get('event-bus')!.EVENT_LOG_PATH).toBe('/data/events.ndjson');
  });
});

describe('pointAtLoopback', () => {
  const services = new Map([['event-bus-srv', { app: 'event-bus', ports: [4005] }]]);

  test('rewrites every host that is a Service, and only those', () => {
    expect(pointAtLoopback('http://event-bus-srv:4005,http://example.com:4005/x,/data/a.ndjson', services, { 'event-bus': 7 })).toBe(
      'http://127.0.0.1:7,http://example.com:4005/x,/data/a.ndjson',
    );
  });

  test('a port the Service does not have, or a workspace not running locally, is an error', () => {
    expect(() => pointAtLoopback('http://event-bus-srv:4006', services, { 'event-bus': 7 })).toThrow(/has no port 4006/);
    expect(() => pointAtLoopback('http://event-bus-srv:4005', services, {})).toThrow(/does not run locally/);
  });
});
