/** End to end through `npm start`'s launcher and ingress on a fresh data folder, on the bus or (`nats`) as `npm start -- --nats`. */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_NAMES, startSystem, type ServiceName, type System, type WorkloadName } from '@posts/runtime';
import type { LoadOptions, LoadResult } from '@posts/runtime/load';
import { cpuSeconds, ownCpuSeconds } from './processes';
import type { Outcome } from './results';
import { WARMUP_COMMENTS } from './sizes';

/** Longest wait for a run to settle after its last write, on either transport. */
const SETTLE_TIMEOUT_MS = 30_000;

export interface E2EResult extends LoadResult {
  posts: number;
  comments: number;
  /** launch → every /readyz 200, seconds */
  startSeconds: number;
  /** CPU seconds from the first comment to settled, by pod name (`posts`, `posts-0`, `nats-0` …), `load` and `launcher+ingress`. */
  cpuSeconds: Record<string, number>;
  /** The warm-up right after start (not judged): what the first comments of a cold system see. */
  warmup: LoadResult;
}

/** A run's CPU seconds by role (every replica counted), and how many service and log processes ran. */
export function cpuByRole(r: Pick<E2EResult, 'cpuSeconds'>): { services: number; log: number; load: number; launcher: number; processes: number } {
  const sums = { services: 0, log: 0, load: 0, launcher: 0, processes: 0 };
  for (const [name, seconds] of Object.entries(r.cpuSeconds)) {
    const role = name === 'load' ? 'load' : name === 'launcher+ingress' ? 'launcher' : name === 'event-bus' || /^nats(-\d+)?$/.test(name) ? 'log' : 'services';
    sums[role] += seconds;
    if (role === 'services' || role === 'log') sums.processes++;
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  return { services: round(sums.services), log: round(sums.log), load: round(sums.load), launcher: round(sums.launcher), processes: sums.processes };
}

/** What runs in a system: every service of the registry, but on NATS its nodes in place of the event bus. */
export function workloadsOf(nats: boolean): WorkloadName[] {
  return nats ? ['nats', ...SERVICE_NAMES.filter((s) => s !== 'event-bus')] : [...SERVICE_NAMES];
}

/** The pid of every process of the system by pod name (a pod between restarts has none). */
function podPids(system: System, nats: boolean): Record<string, number | undefined> {
  return Object.fromEntries(workloadsOf(nats).flatMap((name) => system.pods(name).map((pod, replica) => [pod.name, system.pid(name, replica)])));
}

export async function runE2E(o: {
  workDir: string;
  clients: number;
  posts: number;
  comments: number;
  /** The log in NATS JetStream (`npm start -- --nats`) instead of the event bus. */
  nats?: boolean;
  /** Environment for every service beside its manifest's (an undefined value unsets a variable). */
  env?: NodeJS.ProcessEnv;
  /** Environment for one service, after `env` (each backend's DATABASE_URL). */
  envOf?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /** Runs beside the judged load (a metrics scraper); the function it answers stops it. */
  alongside?: (system: System) => () => Promise<void>;
}): Promise<E2EResult> {
  const nats = o.nats ?? false;
  const dataDir = mkdtempSync(path.join(o.workDir, `e2e-${nats ? 'nats-' : ''}${o.clients}-`));
  const t0 = performance.now();
  const env = Object.fromEntries(SERVICE_NAMES.map((s) => [s, { LOG_LEVEL: 'warn', ...o.env, ...o.envOf?.[s] }]));
  const system = await startSystem({ quiet: true, dataDir, env, nats, onSignal: () => process.exit(130) });
  const startSeconds = Math.round((performance.now() - t0) / 10) / 100;
  const worker = fork(path.join(__dirname, 'load-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const load = (options: LoadOptions) =>
      new Promise<Outcome<LoadResult>>((resolve) => {
        const onExit = (code: number | null) => resolve({ error: `the load process exited with ${code}` });
        worker.once('exit', onExit);
        worker.once('message', (m: Outcome<LoadResult>) => {
          worker.off('exit', onExit);
          resolve(m);
        });
        worker.send(options);
      });
    const url = `http://127.0.0.1:${system.ports.ingress}`;
    // The ingress round-robins GET /posts over the query processes: settled only once as many reads in a row, one from each, say so.
    const settledReads = system.pods('query').length;
    // A fresh system answers its first second slowly (cold JIT, new connections): warmed up on a post of its own, reported, not judged.
    const clients = { url, clients: o.clients, orangeEvery: 5, settleTimeoutMs: SETTLE_TIMEOUT_MS, settledReads };
    const warm = await load({ ...clients, posts: 1, comments: WARMUP_COMMENTS });
    if (!warm.result) throw new Error(warm.error ?? 'no warm-up result');
    // Read after the warm-up: a process restarted during it is counted as the one that runs now.
    const pids = podPids(system, nats);
    pids.load = worker.pid;
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid)]));
    const selfBefore = process.cpuUsage();
    const stopAlongside = o.alongside?.(system);
    const answer = await load({ ...clients, posts: o.posts, comments: o.comments }).finally(() => stopAlongside?.());
    // Read the CPU before the worker is let go (its /proc entry goes with it).
    const cpu: Record<string, number> = Object.fromEntries(
      Object.entries(pids).map(([n, pid]) => [n, Math.round((cpuSeconds(pid) - cpuBefore[n]) * 100) / 100]),
    );
    cpu['launcher+ingress'] = ownCpuSeconds(selfBefore);
    if (!answer.result) throw new Error(answer.error ?? 'no result');
    return { ...answer.result, posts: o.posts, comments: o.comments, startSeconds, cpuSeconds: cpu, warmup: warm.result };
  } finally {
    // Let go of the load process, which exits then (also when a run failed).
    if (worker.connected) worker.disconnect();
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
