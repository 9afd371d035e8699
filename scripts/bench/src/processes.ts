/**
 * What the bench knows about processes: it starts a built service alone, waits for its HTTP answers and reads
 * /proc for CPU and memory. Nothing here looks inside a service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { nodeOptionsOf, request, ROOT, until, type ServiceName } from '@posts/runtime';

/** User + system CPU seconds a process used so far (0 once it is gone); USER_HZ is 100 on Linux. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds this process used since `start` (a process.cpuUsage()), to the hundredth. */
export const ownCpuSeconds = (start: NodeJS.CpuUsage) => ((u) => Math.round((u.user + u.system) / 1e4) / 100)(process.cpuUsage(start));

/** Resident memory now (VmRSS) and at its peak (VmHWM), in MB. */
export function memoryMB(pid: number | undefined): { rss: number; peak: number } {
  if (pid === undefined) return { rss: NaN, peak: NaN };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Math.round(Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 102.4) / 10;
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
}

export interface Service {
  child: ChildProcess;
  port: number;
  /** SIGTERM (or the given signal), SIGKILL after 5 s, and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A built service alone (`node <name>/dist/index.js`) with its manifest's Node flags and `env`, once its /readyz answers 200. */
export async function startService(name: ServiceName, port: number, env: Record<string, string>, readyTimeoutMs = 30_000): Promise<Service> {
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
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const service: Service = {
    child,
    port,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (gone()) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await until(
      `${name} on /readyz`,
      async () => {
        if (gone()) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode})`);
        return (await httpGet(port, '/readyz', 2000)).status === 200;
      },
      readyTimeoutMs,
      10,
    );
  } catch (err) {
    await service.stop('SIGKILL');
    throw new Error(`${(err as Error).message}:\n${tail}`, { cause: err });
  }
  return service;
}

/** One GET straight to a service on loopback; status 0 when there is no answer. */
export const httpGet = (port: number, urlPath: string, timeoutMs = 10_000) =>
  request(false, new URL(`http://127.0.0.1:${port}`), 'GET', urlPath, undefined, timeoutMs);
