/**
 * End to end through the local ingress of `npm start` (the same launcher code), on a fresh data
 * folder each run, with the clients in their own process.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_NAMES, startSystem } from '@posts/runtime';
import type { LoadOptions, LoadResult } from '@posts/runtime/load';
import { cpuSeconds } from './processes';
import { WARMUP_COMMENTS } from './sizes';

export interface E2EResult extends LoadResult {
  posts: number;
  comments: number;
  /** launch → every /readyz 200, seconds */
  startSeconds: number;
  /** CPU seconds per process from the first comment to settled (load: the client process). */
  cpuSeconds: Record<string, number>;
  /** The warm-up right after start (not judged): what the first comments of a cold system see. */
  warmup: LoadResult;
}

export async function runE2E(o: { workDir: string; clients: number; posts: number; comments: number; settleTimeoutMs: number }): Promise<E2EResult> {
  const dataDir = mkdtempSync(path.join(o.workDir, `e2e-${o.clients}-`));
  const t0 = performance.now();
  const env = Object.fromEntries(SERVICE_NAMES.map((s) => [s, { LOG_LEVEL: 'warn' }]));
  const system = await startSystem({ quiet: true, dataDir, env, onSignal: () => process.exit(130) });
  const startSeconds = (performance.now() - t0) / 1000;
  try {
    const worker = fork(path.join(__dirname, 'load-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const load = (options: LoadOptions) =>
      new Promise<{ result?: LoadResult; error?: string }>((resolve) => {
        const onExit = (code: number | null) => resolve({ error: `the load process exited with ${code}` });
        worker.once('exit', onExit);
        worker.once('message', (m: { result?: LoadResult; error?: string }) => {
          worker.off('exit', onExit);
          resolve(m);
        });
        worker.send(options);
      });
    const url = `http://127.0.0.1:${system.ports.ingress}`;
    // A freshly started system answers its first second slowly (cold JIT, new connections):
    // warm it up on a post of its own, report that, and judge the run on the warm system.
    const warm = await load({ url, posts: 1, comments: WARMUP_COMMENTS, clients: o.clients, orangeEvery: 5, settleTimeoutMs: o.settleTimeoutMs });
    if (!warm.result) throw new Error(warm.error ?? 'no warm-up result');
    const pids: Record<string, number | undefined> = Object.fromEntries(SERVICE_NAMES.map((s) => [s, system.pid(s)]));
    pids.load = worker.pid;
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid)]));
    const selfBefore = process.cpuUsage();
    const options: LoadOptions = {
      url,
      posts: o.posts,
      comments: o.comments,
      clients: o.clients,
      orangeEvery: 5,
      settleTimeoutMs: o.settleTimeoutMs,
    };
    const answer = await load(options);
    // Read the CPU before the worker is let go (its /proc entry goes with it).
    const cpu: Record<string, number> = Object.fromEntries(
      Object.entries(pids).map(([n, pid]) => [n, Math.round((cpuSeconds(pid) - cpuBefore[n]) * 100) / 100]),
    );
    const self = process.cpuUsage(selfBefore);
    if (worker.connected) worker.disconnect();
    cpu['launcher+ingress'] = Math.round((self.user + self.system) / 1e4) / 100;
    if (!answer.result) throw new Error(answer.error ?? 'no result');
    return { ...answer.result, posts: o.posts, comments: o.comments, startSeconds: Math.round(startSeconds * 100) / 100, cpuSeconds: cpu, warmup: warm.result };
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
