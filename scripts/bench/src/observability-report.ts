/** What watching the system costs: a row per mode (each run's settled throughput, the mean, the ratio to off), for the terminal and the page. */
import { fmt } from './format';
import { meanOf } from './goals';
import { OBSERVABILITY_MODES } from './observability';
import type { BenchResults } from './results';

type Run = Pick<BenchResults, 'observability'>;

export const OBSERVABILITY_HEAD = ['mode', 'settled/s, each run', 'settled/s, mean', 'of off', 'write p99, ms, mean'];

export function observabilityRows(r: Run): string[][] {
  const x = r.observability?.result;
  if (!x) return [];
  const off = meanOf(x.runs.off).settledPerSecond;
  return OBSERVABILITY_MODES.map((mode) => {
    const runs = x.runs[mode];
    const mean = meanOf(runs);
    return [
      mode,
      runs.map((e) => fmt(e.settledPerSecond)).join(', '),
      fmt(mean.settledPerSecond),
      off ? `${fmt(mean.settledPerSecond / off, 2)}×` : '–',
      fmt(mean.p99, 1),
    ];
  });
}
