/** Processes seen from outside: started under the runtime's Supervisor, measured from /proc. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { until } from '@posts/kit/testing';
import { nodeOptionsOf, request, ROOT, Supervisor, type ProcessSpec, type ServiceName } from '@posts/runtime';

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

/** `spec` under a Supervisor once `ready(output)` says so; its last output in the error when it does not get there. */
export async function startProcess(spec: ProcessSpec, ready: (output: string) => boolean | Promise<boolean>, timeoutMs: number): Promise<Supervisor> {
  let output = '';
  const supervisor = new Supervisor(spec, (line) => (output = (output + line + '\n').slice(-4000)));
  const isReady = async () => {
    if (!supervisor.running()) throw new Error(`${spec.name} exited`);
    return supervisor.pid() !== undefined && (await ready(output));
  };
  supervisor.start();
  try {
    await until(`${spec.name} to be ready`, isReady, timeoutMs, 10);
    return supervisor;
  } catch (err) {
    await kill(supervisor);
    throw new Error(`${(err as Error).message}:\n${output}`, { cause: err });
  }
}

/** SIGKILL, with no chance to flush anything more, and no restart; resolves once the process is gone. */
export async function kill(supervisor: Supervisor): Promise<void> {
  supervisor.killNow();
  await supervisor.stop();
}

/** A built service alone (`node <name>/dist/index.js`) with its manifest's Node flags and `env`, once its /readyz answers 200. */
export function startService(name: ServiceName, port: number, env: Record<string, string>, readyTimeoutMs = 30_000): Promise<Supervisor> {
  const nodeOptions = nodeOptionsOf(name);
  const serviceEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    ...env,
  };
  const spec = { name, command: process.execPath, args: ['dist/index.js'], cwd: path.join(ROOT, name), env: serviceEnv };
  return startProcess(spec, async () => (await httpGet(port, '/readyz', 2000)).status === 200, readyTimeoutMs);
}

/** One GET straight to a service on loopback; status 0 when there is no answer. */
export const httpGet = (port: number, urlPath: string, timeoutMs = 10_000) =>
  request(false, new URL(`http://127.0.0.1:${port}`), 'GET', urlPath, undefined, timeoutMs);
