/** What one bench run records: the machine, the sizes, each measurement, and the figures judged from them. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { BusResult } from './bus';
import type { CatchUpResult } from './catch-up';
import type { E2EResult } from './e2e';
import type { JetStreamResults } from './jetstream';
import type { ObservabilityResult } from './observability';
import type { ReadPathResults } from './read-path';
import type { Sizes } from './sizes';
import type { expressCeiling, StateResults } from './state';

/** What a part of the bench measured, or why it has nothing. */
export type Outcome<T> = { result?: T; error?: string };

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function attempt<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { result: await run() };
  } catch (err) {
    return { error: errorText(err) };
  }
}

/** The machine a run measured; its data folders' filesystem, and the load average at start, as other work skews the figures. */
export function machineOf(workDir: string) {
  // The distribution's name where /etc/os-release gives it, beside the kernel's.
  const pretty = existsSync('/etc/os-release') ? /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined;
  const kernel = `${os.type()} ${os.release()}`;
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: pretty ? `${pretty} (${kernel})` : kernel,
    fs: spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', workDir], { encoding: 'utf8' }).stdout?.trim() || 'unknown',
    loadAverageAtStart: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
export type Machine = ReturnType<typeof machineOf>;

export interface BenchResults {
  startedAt: string;
  durationSeconds: number;
  command: string;
  quick: boolean;
  machine: Machine;
  sizes: Sizes;
  e2e: Array<{ clients: number } & Outcome<E2EResult>>;
  /** The bus in open mode (no BUS_SECRET). */
  bus: Outcome<BusResult>;
  /** The same with BUS_SECRET and every publish signed, as `npm start` runs it. */
  busSigned: Outcome<BusResult>;
  catchUp: Outcome<CatchUpResult>;
  jetStream: JetStreamResults;
  /** The read path at each blog size (absent in results recorded before it was measured). */
  readPath?: ReadPathResults;
  /** The judged load with metrics off, on, and on with traces (absent in results recorded before it was measured). */
  observability?: Outcome<ObservabilityResult>;
  /** A bare Express process under the judged clients: E, its POSTs per CPU second, whose E/8 bounds settled comments/s (absent in older results). */
  expressCeiling?: Outcome<Awaited<ReturnType<typeof expressCeiling>>>;
  /** The judged end-to-end run again, each backend's state in PostgreSQL. */
  e2ePostgres?: Outcome<E2EResult> & { notRun?: string };
  /** Each backend's state in its database, on both homes (absent in older results). */
  state?: StateResults;
  figures: Figure[];
}

export interface Figure {
  group: string;
  name: string;
  value: string;
  goal: string;
  /** null: reported, no goal. */
  pass: boolean | null;
}
