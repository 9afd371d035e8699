/** The end-to-end runs against clients as a table, for the terminal and for the page. */
import { fmt } from './format';
import type { BenchResults } from './results';

export const SCALING_HEAD = [
  'clients',
  'p50 ms',
  'p90 ms',
  'p99 ms (goal ≤ 100)',
  'max ms',
  'settled/s (goal ≥ 400)',
  'write s',
  'settle s (goal ≤ 1)',
  'errors',
  'lost',
];

/** One row per end-to-end run (a failed one says why), under SCALING_HEAD. */
export function scalingRows(e2e: BenchResults['e2e']): string[][] {
  return e2e.map(({ clients, result: r, error }) =>
    r
      ? [
          String(clients),
          fmt(r.latencyMs.p50, 1),
          fmt(r.latencyMs.p90, 1),
          fmt(r.latencyMs.p99, 1),
          fmt(r.latencyMs.max, 1),
          fmt(r.settledPerSecond),
          fmt(r.writeSeconds, 2),
          fmt(r.settleSeconds, 2),
          fmt(r.errors),
          fmt(r.lost),
        ]
      : [String(clients), `failed: ${(error ?? '').split('\n')[0]}`, '', '', '', '', '', '', '', ''],
  );
}
