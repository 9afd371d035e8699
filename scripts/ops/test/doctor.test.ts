/** `npm run doctor` against stand-in kubectl/docker scripts on a temporary PATH and a tiny local server. */
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Check, Config, configFrom, doctor, main, report } from '../src/doctor';
import { ROOT, SERVICE_NAMES } from '@posts/runtime';
import { imageName } from '../src/image-name';

// Loose shapes for reading the manifests.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** The Deployments of infra/k8s, as `kubectl get deployments -o json` lists them once applied. */
function appliedDeployments(): any[] {
  const dir = path.join(ROOT, 'infra', 'k8s');
  return fs
    .readdirSync(dir)
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS()))
    .filter((d) => d?.kind === 'Deployment');
}

/** The same with BUS_SECRET taken out of some, or set to a literal value: open mode. */
function withoutSecret(deployments: any[], names: Record<string, 'removed' | 'literal'>): any[] {
  return structuredClone(deployments).map((d: any) => {
    const how = names[d.metadata.name];
    const container = d.spec.template.spec.containers[0];
    if (how === 'removed') container.env = container.env.filter((e: any) => e.name !== 'BUS_SECRET');
    if (how === 'literal') container.env = container.env.map((e: any) => (e.name === 'BUS_SECRET' ? { name: 'BUS_SECRET', value: 'x'.repeat(64) } : e));
    return d;
  });
}

interface Setup {
  kubectl?: {
    context?: string | null;
    reachable?: boolean;
    ingressClass?: boolean;
    applied?: boolean;
    secret?: boolean;
    /** null: listing them is forbidden. */
    deployments?: any[] | null;
    /** A line kubectl prints on stderr beside its answer, as it does for deprecations. */
    warning?: string;
  } | null;
  docker?: { engine?: boolean; images?: string[] } | null;
  /** What `nats-server --version` prints; null: not installed. */
  natsServer?: string | null;
  hosts?: string;
  answer?: { status: number; server?: string; body?: string } | 'closed';
}

const ALL_IMAGES = SERVICE_NAMES.map((s) => imageName(s));
let dir: string;
let server: http.Server | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-'));
});
afterEach(async () => {
  if (server) await new Promise((done) => server!.close(done));
  server = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): void {
  // Shell builtins only: the stand-ins run with a PATH holding nothing else.
  fs.writeFileSync(path.join(dir, 'bin', name), `#!/bin/sh\n${body}\necho "unexpected: $*" >&2\nexit 3\n`, { mode: 0o755 });
}

async function setUp(s: Setup): Promise<Config> {
  fs.mkdirSync(path.join(dir, 'bin'));
  const k =
    s.kubectl === null
      ? null
      : { context: 'docker-desktop', reachable: true, ingressClass: true, applied: true, secret: true, deployments: appliedDeployments(), ...s.kubectl };
  if (k) {
    const json = `echo '${JSON.stringify({ items: k.deployments }).replaceAll("'", "'\\''")}'`;
    const warning = k.warning ? `echo "${k.warning}" >&2; ` : '';
    const deployments =
      k.deployments === null ? 'echo "Error from server (Forbidden): deployments.apps is forbidden" >&2; exit 1' : `${warning}${json}; exit 0`;
    script(
      'kubectl',
      `case "$*" in
  "version --client") echo "Client Version: v1.34.0"; exit 0;;
  "config current-context") ${k.context ? `echo ${k.context}; exit 0` : 'echo "error: current-context is not set" >&2; exit 1'};;
  "get --raw /readyz --request-timeout=5s") ${k.reachable ? 'echo ok; exit 0' : 'echo "The connection to the server 127.0.0.1:6443 was refused" >&2; exit 1'};;
  "get ingressclass nginx -o name") ${k.ingressClass ? 'echo ingressclass.networking.k8s.io/nginx; exit 0' : 'echo "Error from server (NotFound)" >&2; exit 1'};;
  "get ingress ingress-srv -o name") ${k.applied ? 'echo ingress.networking.k8s.io/ingress-srv; exit 0' : 'echo "Error from server (NotFound)" >&2; exit 1'};;
  "get secret bus-secret -o name") ${k.secret ? 'echo secret/bus-secret; exit 0' : 'echo "Error from server (NotFound)" >&2; exit 1'};;
  "get deployments -l app.kubernetes.io/part-of=posts-com -o json") ${deployments};;
esac`,
    );
  }
  const d = s.docker === null ? null : { engine: true, images: ALL_IMAGES, ...s.docker };
  if (d) {
    const present = d.images.map((i) => `  "image inspect --format {{.Id}} ${i}") echo sha256:1; exit 0;;`).join('\n');
    script(
      'docker',
      `case "$*" in
  "info --format {{.ServerVersion}}") ${d.engine ? 'echo 28.0.0; exit 0' : 'echo "Cannot connect to the Docker daemon" >&2; exit 1'};;
${present}
  "image inspect"*) echo "Error: No such image" >&2; exit 1;;
esac`,
    );
  }
  const nats = s.natsServer === undefined ? 'nats-server: v2.12.1' : s.natsServer;
  if (nats !== null) script('nats-server', `case "$*" in\n  "--version") echo "${nats}"; exit 0;;\nesac`);
  const hostsFile = path.join(dir, 'hosts');
  fs.writeFileSync(hostsFile, s.hosts ?? '127.0.0.1 localhost\n# blog\n127.0.0.1   posts.com\n');

  const answer = s.answer ?? { status: 200, server: 'nginx', body: '{}' };
  server = http.createServer((_req, res) => {
    if (answer === 'closed') return;
    res.writeHead(answer.status, { server: answer.server ?? 'nginx', 'content-type': 'application/json' });
    res.end(answer.body ?? '{}');
  });
  await new Promise<void>((ready) => server!.listen(0, '127.0.0.1', ready));
  const port = (server.address() as AddressInfo).port;
  if (answer === 'closed') {
    // A port that was just free: nothing listens there any more.
    await new Promise((done) => server!.close(done));
    server = undefined;
  }
  return configFrom({ PATH: path.join(dir, 'bin'), DOCTOR_HOSTS_FILE: hostsFile, DOCTOR_URL: `http://127.0.0.1:${port}/posts` });
}

const byName = (checks: Check[], name: string): Check => {
  const found = checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}`);
  return found;
};
const statuses = (checks: Check[]): Record<string, string> => Object.fromEntries(checks.map((c) => [c.name, c.status]));

test('a healthy setup passes every check and exits 0', async () => {
  const checks = await doctor(await setUp({}));
  expect(statuses(checks)).toEqual({
    kubectl: 'ok',
    cluster: 'ok',
    'ingress controller': 'ok',
    'posts.com applied': 'ok',
    'bus secret': 'ok',
    images: 'ok',
    'hosts file': 'ok',
    'posts.com answers': 'ok',
    'nats-server': 'ok',
    PostgreSQL: 'skip',
  });
  expect(report(checks)).toMatch(/All set/);
});

test('main exits 1 when a check fails, 0 when none does', async () => {
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const ok = await setUp({});
    expect(await main({ ...ok.env, DOCTOR_HOSTS_FILE: ok.hostsFile, DOCTOR_URL: ok.url })).toBe(0);
    expect(await main({ ...ok.env, DOCTOR_HOSTS_FILE: path.join(dir, 'nope'), DOCTOR_URL: ok.url })).toBe(1);
    expect(log.mock.calls.join('\n')).toMatch(/cannot read .*nope/);
  } finally {
    log.mockRestore();
  }
});

test('kubectl missing: says how to install it and skips the cluster checks with the reason', async () => {
  const checks = await doctor(await setUp({ kubectl: null }));
  expect(byName(checks, 'kubectl')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/Install kubectl/) });
  for (const n of ['cluster', 'ingress controller', 'posts.com applied', 'bus secret'])
    expect(byName(checks, n)).toMatchObject({ status: 'skip', detail: 'needs kubectl' });
});

test('no current context: says how to start a cluster', async () => {
  const checks = await doctor(await setUp({ kubectl: { context: null } }));
  expect(byName(checks, 'cluster')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/enable Kubernetes in Docker Desktop/) });
  expect(byName(checks, 'ingress controller').status).toBe('skip');
});

test('a context that does not answer: names it and says how to start or switch', async () => {
  const checks = await doctor(await setUp({ kubectl: { context: 'kind-posts', reachable: false } }));
  expect(byName(checks, 'cluster')).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/kind-posts does not answer: The connection/),
    fix: expect.stringMatching(/use-context/),
  });
  expect(byName(checks, 'ingress controller')).toMatchObject({ status: 'skip', detail: 'needs cluster' });
});

test.each([
  ['docker-desktop', /provider\/cloud\/deploy\.yaml/],
  ['kind-posts', /provider\/kind\/deploy\.yaml/],
  ['minikube', /minikube addons enable ingress/],
])('no nginx ingress class on %s: says how to install ingress-nginx there', async (context, install) => {
  const checks = await doctor(await setUp({ kubectl: { context, ingressClass: false } }));
  expect(byName(checks, 'ingress controller')).toMatchObject({ status: 'fail', fix: expect.stringMatching(install) });
});

test('the app not applied: says kubectl apply -f infra/k8s', async () => {
  const checks = await doctor(await setUp({ kubectl: { applied: false } }));
  expect(byName(checks, 'posts.com applied')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/kubectl apply -f infra\/k8s/) });
});

test('no Secret bus-secret: says how to create it, once per cluster', async () => {
  const checks = await doctor(await setUp({ kubectl: { secret: false } }));
  expect(byName(checks, 'bus secret')).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/no Secret bus-secret/),
    fix: expect.stringContaining('kubectl create secret generic bus-secret --from-literal=BUS_SECRET="$(openssl rand -hex 32)"'),
  });
});

test('a Deployment that talks to the bus without the secret (open mode): names it', async () => {
  const deployments = withoutSecret(appliedDeployments(), { 'query-depl': 'removed', 'event-bus-depl': 'literal' });
  const checks = await doctor(await setUp({ kubectl: { deployments } }));
  expect(byName(checks, 'bus secret')).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/^open mode: no BUS_SECRET from the Secret bus-secret in event-bus-depl, query-depl,/),
    fix: expect.stringMatching(/kubectl apply -f infra\/k8s/),
  });
});

test('a warning kubectl prints beside the Deployments does not hide them', async () => {
  const checks = await doctor(await setUp({ kubectl: { warning: 'Warning: v1 ComponentStatus is deprecated in v1.19+' } }));
  expect(byName(checks, 'bus secret')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/every Deployment that talks to the bus takes it/) });
});

test('the Deployments cannot be listed: says so with the reason kubectl gives', async () => {
  const checks = await doctor(await setUp({ kubectl: { deployments: null } }));
  expect(byName(checks, 'bus secret')).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/^cannot list the Deployments: Error from server \(Forbidden\)/),
  });
});

test('the secret and no Deployment yet: fine so far', async () => {
  const checks = await doctor(await setUp({ kubectl: { deployments: [] } }));
  expect(byName(checks, 'bus secret')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/no Deployment applied yet/) });
});

test('docker missing: the image check is skipped with the reason', async () => {
  const checks = await doctor(await setUp({ docker: null }));
  expect(byName(checks, 'images')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/docker not found/) });
});

test('the Docker engine down: says to start it', async () => {
  const checks = await doctor(await setUp({ docker: { engine: false } }));
  expect(byName(checks, 'images')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/Start Docker Desktop/) });
});

test('an image missing: names it and says npm run images (and kind load on kind)', async () => {
  const checks = await doctor(await setUp({ kubectl: { context: 'kind-posts' }, docker: { images: ALL_IMAGES.filter((i) => !i.includes('/query:')) } }));
  expect(byName(checks, 'images')).toMatchObject({
    status: 'fail',
    detail: 'missing from the local Docker engine: posts-com/query:latest',
    fix: expect.stringMatching(/npm run images.*kind load docker-image posts-com\/event-bus:latest/),
  });
});

test('images under another prefix: looks for that prefix', async () => {
  const config = await setUp({});
  const checks = await doctor(configFrom({ ...config.env, DOCTOR_HOSTS_FILE: config.hostsFile, DOCTOR_URL: config.url, IMAGE_PREFIX: 'ghcr.io/me' }));
  expect(byName(checks, 'images').detail).toMatch(/ghcr\.io\/me\/event-bus:latest/);
});

test('the hosts line missing: gives the line and how to add it', async () => {
  const checks = await doctor(await setUp({ hosts: '127.0.0.1 localhost\n# 127.0.0.1 posts.com\n127.0.0.1 posts.com.example\n' }));
  expect(byName(checks, 'hosts file')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/127\.0\.0\.1 posts\.com/) });
});

test('the hosts line pointing elsewhere: warns, with minikube advice on minikube', async () => {
  const checks = await doctor(await setUp({ kubectl: { context: 'minikube' }, hosts: '10.9.8.7 www.posts.com posts.com\n' }));
  expect(byName(checks, 'hosts file')).toMatchObject({
    status: 'warn',
    detail: expect.stringMatching(/points at 10\.9\.8\.7/),
    fix: expect.stringMatching(/minikube ip/),
  });
});

test('nothing on port 80: says the ingress controller is not exposed', async () => {
  const checks = await doctor(await setUp({ answer: 'closed' }));
  expect(byName(checks, 'posts.com answers')).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/ECONNREFUSED/),
    fix: expect.stringMatching(/Nothing listens on port 80/),
  });
});

test('another program on port 80: says so', async () => {
  const checks = await doctor(await setUp({ answer: { status: 404, server: 'Microsoft-IIS/10.0', body: 'Not Found' } }));
  expect(byName(checks, 'posts.com answers')).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/Microsoft-IIS/),
    fix: expect.stringMatching(/Another program holds port 80/),
  });
});

test('a 200 that is not JSON: another program answers on port 80', async () => {
  const checks = await doctor(await setUp({ answer: { status: 200, server: 'nginx/1.24.0', body: '<html>Welcome to nginx!</html>' } }));
  expect(byName(checks, 'posts.com answers')).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/200 from nginx\/1\.24\.0, not posts\.com/),
    fix: expect.stringMatching(/Another program holds port 80/),
  });
});

test('a 404 from the ingress controller: points at the Ingress class and host', async () => {
  const checks = await doctor(await setUp({ answer: { status: 404, server: 'nginx', body: '<html>404</html>' } }));
  expect(byName(checks, 'posts.com answers')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/CLASS nginx and HOSTS posts\.com/) });
});

test('a 503 from the ingress controller: points at the pods', async () => {
  const checks = await doctor(await setUp({ answer: { status: 503, server: 'nginx' } }));
  expect(byName(checks, 'posts.com answers')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/kubectl get pods/) });
});

test('nats-server missing: a warning with the install command, since only npm start -- --nats needs it', async () => {
  const check = byName(await doctor(await setUp({ natsServer: null })), 'nats-server');
  expect(check).toMatchObject({ status: 'warn', detail: 'not installed' });
  expect(check.fix).toMatch(/--nats.*apt-get install nats-server/);
});

test("Debian's nats-server 2.9: a warning that it predates sync_interval", async () => {
  const check = byName(await doctor(await setUp({ natsServer: 'nats-server: v2.9.10' })), 'nats-server');
  expect(check).toMatchObject({ status: 'warn' });
  expect(check.detail).toMatch(/v2\.9\.10 predates sync_interval/);
});

const postgresWith = async (base: Config, url: string) => byName(await doctor(configFrom({ ...base.env, DATABASE_URL: url })), 'PostgreSQL');

test('no DATABASE_URL: PostgreSQL is not checked, each service keeping an embedded database', async () => {
  expect(byName(await doctor(await setUp({})), 'PostgreSQL')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/embedded database/) });
});

test('PostgreSQL down (nothing on its port): says how to start it', async () => {
  const closed = http.createServer();
  await new Promise<void>((ready) => closed.listen(0, '127.0.0.1', ready));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((done) => closed.close(done));
  const check = await postgresWith(await setUp({}), `postgres://query:secret@127.0.0.1:${port}/query`);
  expect(check).toMatchObject({ status: 'fail', detail: expect.stringMatching(new RegExp(`127.0.0.1:${port}/query`)) });
  expect(check.fix).toMatch(/pg_ctlcluster/);
});

const postgresServer = process.env.TEST_DATABASE_URL;
(postgresServer ? test : test.skip)('PostgreSQL reachable: names its version, the role and the database; a missing database says how to make it', async () => {
  const base = await setUp({});
  expect(await postgresWith(base, postgresServer!)).toMatchObject({
    status: 'ok',
    detail: expect.stringMatching(/^PostgreSQL \d+\.\d+.*, as \w+ on postgres$/),
  });
  const missing = new URL(postgresServer!);
  missing.pathname = '/no_such_database';
  expect((await postgresWith(base, missing.toString())).fix).toMatch(/create database/);
});
