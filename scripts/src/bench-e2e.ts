/**
 * End to end through the local ingress of `npm start` (the same launcher code), on a fresh data
 * folder each run, with the clients in their own process.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cpuSeconds } from './bench-proc';
import { SERVICES, startSystem, type ServiceName } from './launcher';
import type { LoadOptions, LoadResult } from './load';

export interface E2EResult extends LoadResult {
  posts: number;
  comments: number;
  /** launch → every /readyz 200, seconds */
  startSeconds: number;
  /** CPU seconds per process from the first comment to settled (load: the client process). */
  cpuSeconds: Record<string, number>;
}

export async function runE2E(o: { workDir: string; clients: number; posts: number; comments: number; settleTimeoutMs: number }): Promise<E2EResult> {
  const dataDir = mkdtempSync(path.join(o.workDir, `e2e-${o.clients}-`));
  const t0 = performance.now();
  const env = Object.fromEntries(SERVICES.map((s) => [s, { LOG_LEVEL: 'warn' }])) as Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  const system = await startSystem({ quiet: true, dataDir, env, onSignal: () => process.exit(130) });
  const startSeconds = (performance.now() - t0) / 1000;
  try {
    const worker = fork(path.join(__dirname, 'bench-load.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const pids: Record<string, number | undefined> = Object.fromEntries(SERVICES.map((s) => [s, system.pid(s)]));
    pids.load = worker.pid;
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid)]));
    const selfBefore = process.cpuUsage();
    const options: LoadOptions = {
      url: `http://127.0.0.1:${system.ports.ingress}`,
      posts: o.posts,
      comments: o.comments,
      clients: o.clients,
      orangeEvery: 5,
      settleTimeoutMs: o.settleTimeoutMs,
    };
    const answer = await new Promise<{ result?: LoadResult; error?: string }>((resolve) => {
      worker.once('message', (m: { result?: LoadResult; error?: string }) => resolve(m));
      worker.once('exit', (code) => resolve({ error: `the load process exited with ${code}` }));
      worker.send(options);
    });
    // Read the CPU before the worker is let go (its /proc entry goes with it).
    const cpu: Record<string, number> = Object.fromEntries(
      Object.entries(pids).map(([n, pid]) => [n, Math.round((cpuSeconds(pid) - cpuBefore[n]) * 100) / 100]),
    );
    const self = process.cpuUsage(selfBefore);
    if (worker.connected) worker.disconnect();
    cpu['launcher+ingress'] = Math.round((self.user + self.system) / 1e4) / 100;
    if (!answer.result) throw new Error(answer.error ?? 'no result');
    return { ...answer.result, posts: o.posts, comments: o.comments, startSeconds: Math.round(startSeconds * 100) / 100, cpuSeconds: cpu };
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
