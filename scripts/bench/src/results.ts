/** What one bench run records: the machine, the sizes, each measurement, and the figures judged from them. */
import type { BusResult } from './bus';
import type { CatchUpResult } from './catch-up';
import type { E2EResult } from './e2e';
import type { JetStreamResults } from './jetstream';
import type { ObservabilityResult } from './observability';
import type { ReadPathResults } from './read-path';
import type { Sizes } from './sizes';

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

export interface Machine {
  cpu: string;
  cores: number;
  memoryGB: number;
  node: string;
  os: string;
  /** The filesystem the bench's data folders (and the bus's log) were on. */
  fs: string;
  /** 1-minute load average when the bench started: other work on the machine skews the figures. */
  loadAverageAtStart: number;
}

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
