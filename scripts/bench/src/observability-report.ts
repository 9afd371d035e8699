/** What watching the system costs: a row per mode (each run's settled throughput, the median, the ratio to off), for the terminal and the page. */
import { fmt } from './format';
import { medianOf } from './goals';
import { OBSERVABILITY_MODES } from './observability';
import type { BenchResults } from './results';

type Run = Pick<BenchResults, 'observability'>;

export const OBSERVABILITY_HEAD = ['mode', 'settled/s, each run', 'settled/s, median', 'of off', 'write p99, ms, median'];

export function observabilityRows(r: Run): string[][] {
  const x = r.observability?.result;
  if (!x) return [];
  const off = medianOf(x.runs.off).settledPerSecond;
  return OBSERVABILITY_MODES.map((mode) => {
    const runs = x.runs[mode];
    const median = medianOf(runs);
    return [
      mode,
      runs.map((e) => fmt(e.settledPerSecond)).join(', '),
      fmt(median.settledPerSecond),
      off ? `${fmt(median.settledPerSecond / off, 2)}×` : '–',
      fmt(median.p99, 1),
    ];
  });
}
