/**
 * `npm run doctor`: checks this machine's setup for the cluster path (README, "Deploy to Kubernetes")
 * and for `npm start -- --nats`, and says, for each failure, what to do. Every input can be replaced, so
 * tests drive it with stand-in commands: DOCTOR_HOST, DOCTOR_HOSTS_FILE, DOCTOR_URL, KUBECTL, DOCKER,
 * IMAGE_PREFIX, IMAGE_TAG.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { SERVICE_NAMES } from '@posts/runtime';
import { imageName } from './image-name';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';
export interface Check {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
}

export interface Config {
  host: string;
  hostsFile: string;
  url: string;
  kubectl: string;
  docker: string;
  imagePrefix?: string;
  imageTag?: string;
  /** The environment the commands run in (its PATH finds them). */
  env: NodeJS.ProcessEnv;
}

export function configFrom(env: NodeJS.ProcessEnv): Config {
  const host = env.DOCTOR_HOST || 'posts.com';
  const defaultHosts = process.platform === 'win32' ? 'C:\\Windows\\System32\\drivers\\etc\\hosts' : '/etc/hosts';
  return {
    host,
    hostsFile: env.DOCTOR_HOSTS_FILE || defaultHosts,
    url: env.DOCTOR_URL || `http://${host}/posts`,
    kubectl: env.KUBECTL || 'kubectl',
    docker: env.DOCKER || 'docker',
    imagePrefix: env.IMAGE_PREFIX || undefined,
    imageTag: env.IMAGE_TAG || undefined,
    env,
  };
}

/** A command's outcome: `missing` when it is not on PATH, `out` its output (stdout then stderr). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): { missing: boolean; ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 20_000 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || (r.error?.message ?? '');
  return { missing, ok: !r.error && r.status === 0, out };
}

const firstLine = (s: string): string => s.split('\n')[0].slice(0, 200);

const INGRESS_INSTALL: Record<string, string> = {
  kind: 'kubectl apply -f https://raw.githubusercontent.com/kubernetes/ingress-nginx/main/deploy/static/provider/kind/deploy.yaml',
  minikube: 'minikube addons enable ingress',
  other: 'kubectl apply -f https://raw.githubusercontent.com/kubernetes/ingress-nginx/main/deploy/static/provider/cloud/deploy.yaml',
};

const clusterKind = (context: string): 'kind' | 'minikube' | 'other' => (context.startsWith('kind-') ? 'kind' : context === 'minikube' ? 'minikube' : 'other');

const check = (name: string, status: Status, detail: string, fix?: string): Check => ({ name, status, detail, fix });

/** The checks after `from` that cannot run without it, each skipped with the reason. */
const CLUSTER_CHECKS = ['cluster', 'ingress controller', 'posts.com applied', 'bus secret'];
const skipped = (from: string, why: string): Check[] => CLUSTER_CHECKS.slice(CLUSTER_CHECKS.indexOf(from)).map((name) => check(name, 'skip', why));

const CREATE_SECRET = 'kubectl create secret generic bus-secret --from-literal=BUS_SECRET="$(openssl rand -hex 32)"';

/** What the cluster must hold, each found by `kubectl get <get> -o name`; the bus secret is checked further by busSecretCheck. */
const CLUSTER_OBJECTS: Array<{ name: string; get: string[]; ok: string; missing: string; fix: (context: string) => string }> = [
  {
    name: 'ingress controller',
    get: ['ingressclass', 'nginx'],
    ok: 'ingress class nginx installed',
    missing: 'no ingress class nginx: no ingress-nginx controller in this cluster',
    fix: (context) =>
      `Install it: \`${INGRESS_INSTALL[clusterKind(context)]}\`, then wait: \`kubectl wait -n ingress-nginx --for=condition=ready pod -l app.kubernetes.io/component=controller --timeout=120s\`.`,
  },
  {
    name: 'posts.com applied',
    get: ['ingress', 'ingress-srv'],
    ok: 'ingress ingress-srv exists',
    missing: 'no ingress ingress-srv in the current namespace',
    fix: () => 'Deploy: `kubectl apply -f infra/k8s`, then `kubectl get pods` until all six are Running and READY 1/1.',
  },
  {
    name: 'bus secret',
    get: ['secret', 'bus-secret'],
    ok: 'Secret bus-secret exists',
    missing: 'no Secret bus-secret: the bus and the services that talk to it cannot start (CreateContainerConfigError)',
    fix: () => `Create it once per cluster: \`${CREATE_SECRET}\`, then \`kubectl rollout restart deployment -l app.kubernetes.io/part-of=posts-com\`.`,
  },
];

/** kubectl present, its context reachable, the nginx ingress class installed, the app applied. */
function clusterChecks(c: Config): { checks: Check[]; context: string } {
  const version = run(c.kubectl, ['version', '--client'], c.env);
  if (version.missing || !version.ok) {
    const why = version.missing ? `${c.kubectl} not found on PATH` : `${c.kubectl} does not run: ${firstLine(version.out)}`;
    const fix = 'Install kubectl: Docker Desktop ships it once Kubernetes is enabled (Settings → Kubernetes); otherwise see kubernetes.io/docs/tasks/tools.';
    return { context: '', checks: [check('kubectl', 'fail', why, fix), ...skipped('cluster', 'needs kubectl')] };
  }
  const checks: Check[] = [check('kubectl', 'ok', firstLine(version.out))];
  const current = run(c.kubectl, ['config', 'current-context'], c.env);
  if (!current.ok || current.out === '') {
    const fix =
      'Start a cluster: enable Kubernetes in Docker Desktop, or `kind create cluster --config <file with port 80 mapped>`, or `minikube start`; then `kubectl config use-context <name>`.';
    return {
      context: '',
      checks: [...checks, check('cluster', 'fail', 'kubectl has no current context', fix), ...skipped('ingress controller', 'needs a cluster')],
    };
  }
  const context = firstLine(current.out);
  const ready = run(c.kubectl, ['get', '--raw', '/readyz', '--request-timeout=5s'], c.env);
  if (!ready.ok) {
    const fix = `Start that cluster (Docker Desktop running with Kubernetes enabled; \`kind get clusters\`; \`minikube start\`), or switch: \`kubectl config get-contexts\`, \`kubectl config use-context docker-desktop\`.`;
    checks.push(check('cluster', 'fail', `context ${context} does not answer: ${firstLine(ready.out)}`, fix));
    return { context, checks: [...checks, ...skipped('ingress controller', 'needs a reachable cluster')] };
  }
  checks.push(check('cluster', 'ok', `context ${context} answers`));
  for (const o of CLUSTER_OBJECTS) {
    const found = run(c.kubectl, ['get', ...o.get, '-o', 'name'], c.env).ok;
    checks.push(!found ? check(o.name, 'fail', o.missing, o.fix(context)) : o.name === 'bus secret' ? busSecretCheck(c) : check(o.name, 'ok', o.ok));
  }
  return { checks, context };
}

/** With the Secret there, every Deployment that talks to the bus must take it: without, the bus runs open. */
function busSecretCheck(c: Config): Check {
  const name = 'bus secret';
  const listed = run(c.kubectl, ['get', 'deployments', '-l', 'app.kubernetes.io/part-of=posts-com', '-o', 'json'], c.env);
  let deployments: DeploymentJson[];
  try {
    deployments = (JSON.parse(listed.out) as { items: DeploymentJson[] }).items;
  } catch {
    return check(name, 'fail', `cannot list the Deployments: ${firstLine(listed.out)}`, 'Check `kubectl get deployments` works in this context.');
  }
  const open = deployments.filter((d) => {
    const env = d.spec?.template?.spec?.containers?.[0]?.env ?? [];
    const talksToTheBus = env.some((e) => e.name === 'EVENT_BUS_URL' || e.name === 'SUBSCRIBERS');
    const ref = env.find((e) => e.name === 'BUS_SECRET')?.valueFrom?.secretKeyRef;
    return talksToTheBus && !(ref?.name === 'bus-secret' && ref.key === 'BUS_SECRET');
  });
  if (open.length > 0) {
    const detail = `open mode: no BUS_SECRET from the Secret bus-secret in ${open.map((d) => d.metadata.name).join(', ')}, so anyone in the cluster network can publish, read and forge deliveries`;
    return check(name, 'fail', detail, 'Apply the manifests as they are in infra/k8s (each takes BUS_SECRET from the Secret): `kubectl apply -f infra/k8s`.');
  }
  return check(name, 'ok', `Secret bus-secret exists; ${deployments.length ? 'every Deployment that talks to the bus takes it' : 'no Deployment applied yet'}`);
}

/** What the bus secret check reads of a Deployment. */
interface DeploymentJson {
  metadata: { name: string };
  spec?: { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name?: string; key?: string } } }> }> } } };
}

/** Every service's image in the local Docker engine under the configured prefix. */
function imageCheck(c: Config, context: string): Check {
  const name = 'images';
  const info = run(c.docker, ['info', '--format', '{{.ServerVersion}}'], c.env);
  if (info.missing) return check(name, 'skip', `${c.docker} not found on PATH, so the local images cannot be listed`);
  if (!info.ok) {
    return check(
      name,
      'fail',
      `the Docker engine does not answer: ${firstLine(info.out)}`,
      'Start Docker Desktop (or your Docker engine) and run `npm run doctor` again.',
    );
  }
  const images = SERVICE_NAMES.map((s) => imageName(s, c.imagePrefix, c.imageTag));
  const missing = images.filter((image) => !run(c.docker, ['image', 'inspect', '--format', '{{.Id}}', image], c.env).ok);
  const loader = { kind: 'kind load docker-image', minikube: 'minikube image load', other: '' }[clusterKind(context)];
  const load = loader && ` Then load them into ${loader.split(' ')[0]}: \`${loader} ${images.join(' ')}\`.`;
  if (missing.length > 0) {
    const fix = `Build them: \`npm run images\` (IMAGE_PREFIX and IMAGE_TAG must match the manifests).${load}`;
    return check(name, 'fail', `missing from the local Docker engine: ${missing.join(', ')}`, fix);
  }
  return check(name, 'ok', `all six present (${images[0].replace(/\/[^/]*$/, '/*')})${load ? '; kind/minikube need them loaded after each build' : ''}`);
}

function isThisMachine(address: string): boolean {
  if (address === '::1' || address.startsWith('127.')) return true;
  return Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((i) => i.address === address));
}

/** `<address> posts.com` in the hosts file, pointing at this machine. */
function hostsCheck(c: Config, context: string): Check {
  const name = 'hosts file';
  const line = `127.0.0.1 ${c.host}`;
  const how =
    process.platform === 'win32' ? `open Notepad as Administrator, edit ${c.hostsFile}, add \`${line}\`` : `\`echo "${line}" | sudo tee -a ${c.hostsFile}\``;
  const minikube = clusterKind(context) === 'minikube' ? ' (minikube: use the address `minikube ip` prints, or 127.0.0.1 with `minikube tunnel` running)' : '';
  let text: string;
  try {
    text = fs.readFileSync(c.hostsFile, 'utf8');
  } catch (err) {
    return check(name, 'fail', `cannot read ${c.hostsFile}: ${(err as Error).message}`, `Create it with the line \`${line}\`.`);
  }
  const address = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
    .find((fields) => fields.length > 1 && fields.slice(1).some((h) => h.toLowerCase() === c.host.toLowerCase()))?.[0];
  if (address === undefined) return check(name, 'fail', `${c.host} is not in ${c.hostsFile}`, `Add the line \`${line}\`${minikube}: ${how}.`);
  if (!isThisMachine(address)) {
    const fix = `Right only if ${address} is your cluster's ingress address${minikube}; for Docker Desktop and kind the line is \`${line}\`.`;
    return check(name, 'warn', `${c.host} points at ${address}, not at this machine`, fix);
  }
  return check(name, 'ok', `${c.host} → ${address}`);
}

const ELSEWHERE = 'See the README troubleshooting section.';

/** GET the public read model through the ingress. */
async function urlCheck(c: Config): Promise<Check> {
  const name = 'posts.com answers';
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
    return check(name, 'fail', `GET ${c.url} failed: ${code}`, fix[code] ?? ELSEWHERE);
  }
  const server = res.headers.get('server') ?? '';
  const body = await res.text();
  const got = `GET ${c.url} → ${res.status}`;
  if (res.status === 200) {
    if (isJson(body)) return check(name, 'ok', got);
    const fix = 'Another program answers on port 80 (a local web server, IIS, a proxy): stop it or move it, so the ingress controller gets the port.';
    return check(name, 'fail', `${got} but not JSON (server: ${server || 'unknown'})`, fix);
  }
  if (!/nginx/i.test(server)) {
    const fix =
      'Another program holds port 80 (a local web server, IIS, AirPlay receiver, a proxy): stop it; `sudo lsof -i :80` (macOS/Linux) or `netstat -ano | findstr :80` (Windows) shows which.';
    return check(name, 'fail', `${got} from ${server || 'an unknown server'}, not the ingress controller`, fix);
  }
  if (res.status === 404) {
    const fix = `Apply the Ingress (\`kubectl apply -f infra/k8s\`) and check \`kubectl get ingress ingress-srv\`: CLASS nginx and HOSTS ${c.host}. A regex path refused by the admission webhook shows up in the apply output.`;
    return check(name, 'fail', `${got} from the ingress controller: no rule matched`, fix);
  }
  if (res.status >= 500) {
    const fix =
      'Check `kubectl get pods` (all six READY 1/1); for one that is not, `kubectl describe pod <name>` (ErrImageNeverPull/ErrImagePull: build or load the images) and `kubectl logs deploy/query-depl`.';
    return check(name, 'fail', `${got}: the ingress reached no ready pod`, fix);
  }
  return check(name, 'fail', got, ELSEWHERE);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The nats-server on PATH, which `npm start -- --nats` runs: only that needs it, so its absence is a warning. */
function natsServerCheck(c: Config): Check {
  const name = 'nats-server';
  const found = run('nats-server', ['--version'], c.env);
  const version = /v(\d+)\.(\d+)\.(\d+)/.exec(found.out);
  if (found.missing || !found.ok || !version) {
    const detail = found.missing ? 'not installed' : `\`nats-server --version\` failed: ${firstLine(found.out)}`;
    return check(
      name,
      'warn',
      detail,
      'Only `npm start -- --nats` needs it: `sudo apt-get install nats-server` (Debian, Ubuntu) or `brew install nats-server`.',
    );
  }
  const [major, minor] = version.slice(1).map(Number);
  if (major < 2 || (major === 2 && minor < 10)) {
    const detail = `${version[0]} predates sync_interval (2.10): \`npm start -- --nats\` leaves it out, so a node fsyncs on its own schedule, not before each acknowledgement`;
    return check(name, 'warn', detail, 'Fine for trying it out; for the durability the cluster has, use nats-server 2.12 or later.');
  }
  return check(name, 'ok', version[0]);
}

export async function doctor(c: Config): Promise<Check[]> {
  const cluster = clusterChecks(c);
  return [...cluster.checks, imageCheck(c, cluster.context), hostsCheck(c, cluster.context), await urlCheck(c), natsServerCheck(c)];
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
