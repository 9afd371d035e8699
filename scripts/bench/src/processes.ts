/**
 * What the bench knows about processes: it starts them, waits for their HTTP answers and reads
 * /proc for CPU and memory. Nothing here looks inside a service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { nodeOptionsOf, request, ROOT, sleep, type ServiceName } from '@posts/runtime';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** User + system CPU seconds a process used so far (0 once it is gone). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Resident memory now (VmRSS) and at its peak (VmHWM), in MB. */
export function memoryMB(pid: number | undefined): { rss: number; peak: number } {
  if (pid === undefined) return { rss: NaN, peak: NaN };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 102.4) / 10, peak: Math.round(kb('VmHWM') / 102.4) / 10 };
}

export interface Service {
  name: ServiceName;
  child: ChildProcess;
  port: number;
  /** The last lines it wrote, for error messages. */
  output(): string;
  /** SIGTERM (or the given signal) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a built service (`node <name>/dist/index.js`) as `npm start` does, with its manifest's Node flags and the given environment. */
export function startService(name: ServiceName, port: number, env: Record<string, string>): Service {
  const nodeOptions = nodeOptionsOf(name);
  const child = spawn(process.execPath, ['dist/index.js'], {
    cwd: path.join(ROOT, name),
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString('utf8')).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    port,
    output: () => tail,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One GET straight to a service on loopback; status 0 when there is no answer. */
export function httpGet(port: number, urlPath: string, timeoutMs = 10_000) {
  return request(false, new URL(`http://127.0.0.1:${port}`), 'GET', urlPath, undefined, timeoutMs);
}

/** Polls `urlPath` every `everyMs` until it answers 200; throws after `timeoutMs` or if the process dies. */
export async function waitFor200(service: Service, urlPath: string, timeoutMs: number, everyMs = 10): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`${service.name} exited (${service.child.exitCode ?? service.child.signalCode}):\n${service.output()}`);
    }
    if ((await httpGet(service.port, urlPath, 2000)).status === 200) return;
    if (performance.now() > deadline) throw new Error(`${service.name} not ready after ${timeoutMs / 1000}s:\n${service.output()}`);
    await sleep(everyMs);
  }
}
