// `npm run doctor`: checks this machine's setup for the cluster path and `npm start -- --nats`, and says, for each failure, what to do.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import pg from 'pg';
import { NATS_INSTALL, SERVICE_NAMES } from '@posts/runtime';
import { imageName } from './image-name';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';
export interface Check {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
}
/** What a check function finds; the list of checks names it. */
type Result = Omit<Check, 'name'>;

export type Config = ReturnType<typeof configFrom>;

/** Every input can be replaced from the environment, so tests use stand-ins; `env` is what the commands run in (its PATH finds them). */
export function configFrom(env: NodeJS.ProcessEnv) {
  const host = env.DOCTOR_HOST || 'posts.com';
  return {
    host,
    hostsFile: env.DOCTOR_HOSTS_FILE || (process.platform === 'win32' ? 'C:\\Windows\\System32\\drivers\\etc\\hosts' : '/etc/hosts'),
    url: env.DOCTOR_URL || `http://${host}/posts`,
    kubectl: env.KUBECTL || 'kubectl',
    docker: env.DOCKER || 'docker',
    images: SERVICE_NAMES.map((s) => imageName(s, env.IMAGE_PREFIX || undefined, env.IMAGE_TAG || undefined)),
    env,
  };
}

/** A command's outcome: `missing` when it is not on PATH, `out` its answer (stdout) or, when it failed, everything it said. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): { missing: boolean; ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 20_000 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  const ok = !r.error && r.status === 0;
  // On success stderr holds only warnings (kubectl's deprecations), which are no part of the answer.
  const out = (ok ? r.stdout : `${r.stdout ?? ''}${r.stderr ?? ''}`).trim() || (r.error?.message ?? '');
  return { missing, ok, out };
}

const firstLine = (s: string): string => s.split('\n')[0].slice(0, 200);
const ok = (detail: string): Result => ({ status: 'ok', detail });
const warn = (detail: string, fix: string): Result => ({ status: 'warn', detail, fix });
const fail = (detail: string, fix: string): Result => ({ status: 'fail', detail, fix });

const INGRESS_NGINX = 'https://raw.githubusercontent.com/kubernetes/ingress-nginx/main/deploy/static/provider';
const MINIKUBE_ADDRESS = ' (minikube: use the address `minikube ip` prints, or 127.0.0.1 with `minikube tunnel` running)';

/** What differs between local clusters, told apart by the context's name: how ingress-nginx is installed, how images get in. */
function clusterOf(context: string): { name?: string; ingress: string; loadImages?: string; address?: string } {
  if (context.startsWith('kind-')) return { name: 'kind', ingress: `kubectl apply -f ${INGRESS_NGINX}/kind/deploy.yaml`, loadImages: 'kind load docker-image' };
  if (context === 'minikube')
    return { name: 'minikube', ingress: 'minikube addons enable ingress', loadImages: 'minikube image load', address: MINIKUBE_ADDRESS };
  return { ingress: `kubectl apply -f ${INGRESS_NGINX}/cloud/deploy.yaml` };
}

/** kubectl's current context, '' when there is none (or no kubectl). */
function currentContext(c: Config): string {
  const current = run(c.kubectl, ['config', 'current-context'], c.env);
  return current.ok ? firstLine(current.out) : '';
}

function kubectlCheck(c: Config): Result {
  const version = run(c.kubectl, ['version', '--client'], c.env);
  if (version.ok) return ok(firstLine(version.out));
  const why = version.missing ? `${c.kubectl} not found on PATH` : `${c.kubectl} does not run: ${firstLine(version.out)}`;
  const fix = 'Install kubectl: Docker Desktop ships it once Kubernetes is enabled (Settings → Kubernetes); otherwise see kubernetes.io/docs/tasks/tools.';
  return fail(why, fix);
}

function clusterCheck(c: Config, context: string): Result {
  if (!context) {
    const fix =
      'Start a cluster: enable Kubernetes in Docker Desktop, or `kind create cluster --config <file with port 80 mapped>`, or `minikube start`; then `kubectl config use-context <name>`.';
    return fail('kubectl has no current context', fix);
  }
  const ready = run(c.kubectl, ['get', '--raw', '/readyz', '--request-timeout=5s'], c.env);
  if (ready.ok) return ok(`context ${context} answers`);
  const fix = `Start that cluster (Docker Desktop running with Kubernetes enabled; \`kind get clusters\`; \`minikube start\`), or switch: \`kubectl config get-contexts\`, \`kubectl config use-context docker-desktop\`.`;
  return fail(`context ${context} does not answer: ${firstLine(ready.out)}`, fix);
}

const has = (c: Config, kind: string, name: string): boolean => run(c.kubectl, ['get', kind, name, '-o', 'name'], c.env).ok;

function ingressCheck(c: Config, context: string): Result {
  if (has(c, 'ingressclass', 'nginx')) return ok('ingress class nginx installed');
  const wait = 'kubectl wait -n ingress-nginx --for=condition=ready pod -l app.kubernetes.io/component=controller --timeout=120s';
  return fail('no ingress class nginx: no ingress-nginx controller in this cluster', `Install it: \`${clusterOf(context).ingress}\`, then wait: \`${wait}\`.`);
}

function appliedCheck(c: Config): Result {
  if (has(c, 'ingress', 'ingress-srv')) return ok('ingress ingress-srv exists');
  const fix = 'Deploy: `kubectl apply -f infra/k8s`, then `kubectl get pods` until all six are Running and READY 1/1.';
  return fail('no ingress ingress-srv in the current namespace', fix);
}

/** The Secret, and every Deployment that talks to the bus taking it: without, the bus runs open. */
function busSecretCheck(c: Config): Result {
  if (!has(c, 'secret', 'bus-secret')) {
    const create = 'kubectl create secret generic bus-secret --from-literal=BUS_SECRET="$(openssl rand -hex 32)"';
    const fix = `Create it once per cluster: \`${create}\`, then \`kubectl rollout restart deployment -l app.kubernetes.io/part-of=posts-com\`.`;
    return fail('no Secret bus-secret: the bus and the services that talk to it cannot start (CreateContainerConfigError)', fix);
  }
  const listed = run(c.kubectl, ['get', 'deployments', '-l', 'app.kubernetes.io/part-of=posts-com', '-o', 'json'], c.env);
  if (!listed.ok) return fail(`cannot list the Deployments: ${firstLine(listed.out)}`, 'Check `kubectl get deployments` works in this context.');
  const deployments = (JSON.parse(listed.out) as { items: IDeployment[] }).items;
  const open = deployments.filter((d) => {
    const env = d.spec?.template?.spec?.containers?.[0]?.env ?? [];
    const talksToTheBus = env.some((e) => e.name === 'EVENT_BUS_URL' || e.name === 'SUBSCRIBERS');
    const ref = env.find((e) => e.name === 'BUS_SECRET')?.valueFrom?.secretKeyRef;
    return talksToTheBus && !(ref?.name === 'bus-secret' && ref.key === 'BUS_SECRET');
  });
  if (open.length > 0) {
    const detail = `open mode: no BUS_SECRET from the Secret bus-secret in ${open.map((d) => d.metadata?.name).join(', ')}, so anyone in the cluster network can publish, read and forge deliveries`;
    return fail(detail, 'Apply the manifests as they are in infra/k8s (each takes BUS_SECRET from the Secret): `kubectl apply -f infra/k8s`.');
  }
  return ok(`Secret bus-secret exists; ${deployments.length ? 'every Deployment that talks to the bus takes it' : 'no Deployment applied yet'}`);
}

function imageCheck(c: Config, context: string): Result {
  const info = run(c.docker, ['info', '--format', '{{.ServerVersion}}'], c.env);
  if (info.missing) return { status: 'skip', detail: `${c.docker} not found on PATH, so the local images cannot be listed` };
  if (!info.ok)
    return fail(`the Docker engine does not answer: ${firstLine(info.out)}`, 'Start Docker Desktop (or your Docker engine) and run `npm run doctor` again.');
  const missing = c.images.filter((image) => !run(c.docker, ['image', 'inspect', '--format', '{{.Id}}', image], c.env).ok);
  const { name, loadImages } = clusterOf(context);
  if (missing.length > 0) {
    const load = loadImages ? ` Then load them into ${name}: \`${loadImages} ${c.images.join(' ')}\`.` : '';
    const fix = `Build them: \`npm run images\` (IMAGE_PREFIX and IMAGE_TAG must match the manifests).${load}`;
    return fail(`missing from the local Docker engine: ${missing.join(', ')}`, fix);
  }
  return ok(`all six present (${c.images[0].replace(/\/[^/]*$/, '/*')})${loadImages ? '; kind/minikube need them loaded after each build' : ''}`);
}

function isThisMachine(address: string): boolean {
  if (address === '::1' || address.startsWith('127.')) return true;
  return Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((i) => i.address === address));
}

/** `<address> posts.com` in the hosts file, pointing at this machine. */
function hostsCheck(c: Config, context: string): Result {
  const line = `127.0.0.1 ${c.host}`;
  const how =
    process.platform === 'win32' ? `open Notepad as Administrator, edit ${c.hostsFile}, add \`${line}\`` : `\`echo "${line}" | sudo tee -a ${c.hostsFile}\``;
  const minikube = clusterOf(context).address ?? '';
  let text: string;
  try {
    text = fs.readFileSync(c.hostsFile, 'utf8');
  } catch (err) {
    return fail(`cannot read ${c.hostsFile}: ${(err as Error).message}`, `Create it with the line \`${line}\`.`);
  }
  const address = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
    .find((fields) => fields.length > 1 && fields.slice(1).some((h) => h.toLowerCase() === c.host.toLowerCase()))?.[0];
  if (address === undefined) return fail(`${c.host} is not in ${c.hostsFile}`, `Add the line \`${line}\`${minikube}: ${how}.`);
  if (!isThisMachine(address)) {
    const fix = `Right only if ${address} is your cluster's ingress address${minikube}; for Docker Desktop and kind the line is \`${line}\`.`;
    return warn(`${c.host} points at ${address}, not at this machine`, fix);
  }
  return ok(`${c.host} → ${address}`);
}

const ELSEWHERE = 'See the README troubleshooting section.';

/** GET the public read model through the ingress. */
async function urlCheck(c: Config): Promise<Result> {
  let res: Response;
  try {
    res = await fetch(c.url, { redirect: 'manual', signal: AbortSignal.timeout(8000) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const code = e.cause?.code ?? e.name;
    const fix: Record<string, string> = {
      ENOTFOUND: `${c.host} does not resolve: add \`127.0.0.1 ${c.host}\` to the hosts file.`,
      ECONNREFUSED:
        'Nothing listens on port 80: the ingress controller is not installed or not exposed. Docker Desktop: `kubectl get svc -n ingress-nginx` should show EXTERNAL-IP localhost (if it stays <pending>, another program holds port 80). kind: create the cluster with port 80 mapped (README). minikube: run `minikube tunnel`.',
      TimeoutError: 'No answer within 8 s: a firewall, a stopped `minikube tunnel`, or an address in the hosts file that is not the cluster.',
    };
    return fail(`GET ${c.url} failed: ${code}`, fix[code] ?? ELSEWHERE);
  }
  const server = res.headers.get('server') ?? '';
  const got = `GET ${c.url} → ${res.status}`;
  const json = await res
    .json()
    .then(() => true)
    .catch(() => false);
  if (res.status === 200 && json) return ok(got);
  // The read model answers JSON: a 200 without it, or an answer from no nginx, comes from another server.
  if (res.status === 200 || !/nginx/i.test(server)) {
    const fix =
      'Another program holds port 80 (a local web server, IIS, AirPlay receiver, a proxy): stop it; `sudo lsof -i :80` (macOS/Linux) or `netstat -ano | findstr :80` (Windows) shows which.';
    return fail(`${got} from ${server || 'an unknown server'}, not posts.com through the ingress controller`, fix);
  }
  if (res.status === 404) {
    const fix = `Apply the Ingress (\`kubectl apply -f infra/k8s\`) and check \`kubectl get ingress ingress-srv\`: CLASS nginx and HOSTS ${c.host}. A regex path refused by the admission webhook shows up in the apply output.`;
    return fail(`${got} from the ingress controller: no rule matched`, fix);
  }
  if (res.status >= 500) {
    const fix =
      'Check `kubectl get pods` (all six READY 1/1); for one that is not, `kubectl describe pod <name>` (ErrImageNeverPull/ErrImagePull: build or load the images) and `kubectl logs deploy/query-depl`.';
    return fail(`${got}: the ingress reached no ready pod`, fix);
  }
  return fail(got, ELSEWHERE);
}

/** The nats-server on PATH, which `npm start -- --nats` runs: only that needs it, so its absence is a warning. */
function natsServerCheck(c: Config): Result {
  const found = run('nats-server', ['--version'], c.env);
  const version = /v(\d+)\.(\d+)\.(\d+)/.exec(found.out);
  if (!found.ok || !version) {
    const detail = found.missing ? 'not installed' : `\`nats-server --version\` failed: ${firstLine(found.out)}`;
    return warn(detail, `Only \`npm start -- --nats\` needs it: \`${NATS_INSTALL}\` (Debian, Ubuntu) or \`brew install nats-server\`.`);
  }
  const [major, minor] = version.slice(1).map(Number);
  if (major < 2 || (major === 2 && minor < 10)) {
    const detail = `${version[0]} predates sync_interval (2.10): \`npm start -- --nats\` leaves it out, so a node fsyncs on its own schedule, not before each acknowledgement`;
    return warn(detail, 'Fine for trying it out; for the durability the cluster has, use nats-server 2.12 or later.');
  }
  return ok(version[0]);
}

/** The PostgreSQL database DATABASE_URL names, which a service given it keeps its projection in. */
async function postgresCheck(c: Config): Promise<Result> {
  const url = c.env.DATABASE_URL;
  if (!url) return { status: 'skip', detail: 'DATABASE_URL is not set: each service keeps an embedded database in the data folder' };
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ who: string; db: string; version: string }>(
      'select current_user as who, current_database() as db, version() as version',
    );
    return ok(`${rows[0].version.split(' on ')[0]}, as ${rows[0].who} on ${rows[0].db}`);
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    const fixes: Record<string, string> = {
      ECONNREFUSED: 'Start it: `pg_ctlcluster 15 main start` (Debian, as root) or `brew services start postgresql`.',
      '28P01': "The role or its password is wrong: `create role <service> login password '…'` as a superuser, and the same in DATABASE_URL.",
      '3D000': 'The database does not exist: `create database <service> owner <service>` as a superuser.',
    };
    return fail(
      `cannot use ${new URL(url).host}${new URL(url).pathname}: ${firstLine(message)}`,
      fixes[code ?? ''] ?? 'Check DATABASE_URL (postgres://user:password@host:5432/database) and that the server takes connections there.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Every check in the order printed; one that `needs` another is skipped while that one is not ok. */
const CHECKS: Array<{ name: string; needs?: string; run: (c: Config, context: string) => Result | Promise<Result> }> = [
  { name: 'kubectl', run: kubectlCheck },
  { name: 'cluster', needs: 'kubectl', run: clusterCheck },
  { name: 'ingress controller', needs: 'cluster', run: ingressCheck },
  { name: 'posts.com applied', needs: 'cluster', run: appliedCheck },
  { name: 'bus secret', needs: 'cluster', run: busSecretCheck },
  { name: 'images', run: imageCheck },
  { name: 'hosts file', run: hostsCheck },
  { name: 'posts.com answers', run: urlCheck },
  { name: 'nats-server', run: natsServerCheck },
  { name: 'PostgreSQL', run: postgresCheck },
];

export async function doctor(c: Config): Promise<Check[]> {
  const context = currentContext(c);
  const checks: Check[] = [];
  for (const { name, needs, run } of CHECKS) {
    const needed = checks.find((k) => k.name === needs && k.status !== 'ok');
    // A skipped need passes its reason on: everything after a missing kubectl "needs kubectl".
    const skip = needed && (needed.status === 'skip' ? needed.detail : `needs ${needed.name}`);
    checks.push({ name, ...(skip ? { status: 'skip', detail: skip } : await run(c, context)) });
  }
  return checks;
}

const MARK: Record<Status, string> = { ok: '✔', warn: '!', fail: '✘', skip: '-' };

export function report(checks: Check[]): string {
  const lines = checks.map((k) => {
    const head = `${MARK[k.status]} ${k.name.padEnd(20)} ${k.status === 'skip' ? `skipped: ${k.detail}` : k.detail}`;
    return k.fix && k.status !== 'ok' ? `${head}\n    → ${k.fix}` : head;
  });
  const failed = checks.filter((k) => k.status === 'fail').length;
  lines.push('', failed === 0 ? 'All set for the cluster path.' : `${failed} check(s) failed; fix them in order, top first.`);
  return lines.join('\n');
}

export async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const checks = await doctor(configFrom(env));
  console.log(report(checks));
  return checks.some((k) => k.status === 'fail') ? 1 : 0;
}

if (require.main === module) {
  main(process.env).then((code) => {
    process.exitCode = code;
  });
}
