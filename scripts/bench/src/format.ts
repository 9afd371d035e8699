import { percentile } from '@posts/runtime/load';

/** A number as the reports show it: en-US grouping, `digits` decimals. */
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const r1 = (n: number) => Math.round(n * 10) / 10;

/** Latencies in ms as the results keep them: p50, p99 (nearest rank) and the largest, to a tenth. */
export function latencySummary(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: r1(percentile(sorted, 50)), p99: r1(percentile(sorted, 99)), max: r1(sorted.at(-1) ?? 0) };
}
