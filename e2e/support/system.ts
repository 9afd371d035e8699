import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from '@posts/kit/testing';
import { SERVICE_NAMES, startSystem, type ServiceName, type StartOptions, type System, type WorkloadName } from '@posts/runtime';

/** The same variables for every service, as StartOptions.env. */
export function everyService(vars: NodeJS.ProcessEnv): Record<ServiceName, NodeJS.ProcessEnv> {
  return Object.fromEntries(SERVICE_NAMES.map((s) => [s, { ...vars }])) as Record<ServiceName, NodeJS.ProcessEnv>;
}

export interface TestSystemOptions extends StartOptions {
  /** No BUS_SECRET for any process: the bus and its clients run open, as the course's bus does. */
  openBus?: boolean;
}

/**
 * The whole system as `npm start` runs it, for one suite: a free ingress port, a fresh data folder that
 * stop() removes, quiet logs and LOG_LEVEL=warn, unless `options` say otherwise.
 */
export async function startTestSystem(label: string, { openBus = false, ...options }: TestSystemOptions = {}): Promise<System> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `posts-${label}-`));
  // An undefined variable is left out of the process's environment.
  const open = openBus ? { BUS_SECRET: undefined } : {};
  const env = Object.fromEntries(SERVICE_NAMES.map((s) => [s, { LOG_LEVEL: 'warn', ...open, ...options.env?.[s] }]));
  try {
    const system = await startSystem({ quiet: true, dataDir, ...options, env });
    return {
      ...system,
      async stop() {
        await system.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Signals a service, or one replica of it (default SIGKILL), and resolves once the launcher has started it again and all is ready. */
export async function restart(system: System, name: WorkloadName, signal: NodeJS.Signals = 'SIGKILL', replica?: number): Promise<void> {
  const restarts = system.restarts(name, replica);
  system.kill(name, signal, replica);
  await until(`${name} restarted`, () => system.restarts(name, replica) > restarts, 60_000, 20);
  await system.waitReady(60_000);
}

/** A StartOptions.log that keeps every line by its source (`[posts] …` → posts), the launcher's too. */
export function logsBySource() {
  const lines = new Map<string, string[]>();
  return {
    log(line: string) {
      const m = /^\[([^\]]+)\] +(.*)$/.exec(line);
      if (!m) return;
      const [, source, text] = m;
      if (!lines.has(source)) lines.set(source, []);
      lines.get(source)!.push(text);
    },
    /** A service's lines, of all its replicas (`comments-0`, `comments-1`) when it has more than one. */
    of: (source: ServiceName | 'launcher'): string[] =>
      [...lines].filter(([name]) => name === source || name.startsWith(`${source}-`)).flatMap(([, text]) => text),
  };
}
