/** A run for the terminal: the figures beside their goals, the end-to-end runs against clients, the bus beside JetStream. */
import type { BenchResults, Figure } from './results';
import {
  catchUpHead,
  catchUpRows,
  e2eHead,
  e2eRows,
  OBSERVABILITY_HEAD,
  observabilityRows,
  publishHead,
  publishRows,
  readPathHead,
  readPathNotes,
  readPathRows,
  SCALING_HEAD,
  scalingRows,
} from './tables';

/** Rows as aligned columns, right-aligned where `right(column)` says (figures), left-aligned elsewhere (names). */
function aligned(rows: string[][], right: (column: number) => boolean = (i) => i > 0): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (right(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The figures as an aligned plain-text table, each group named once. */
export function figuresText(figures: Figure[]): string {
  const rows = figures.map((f, i) => [
    i > 0 && figures[i - 1].group === f.group ? '' : f.group,
    f.name,
    f.value,
    f.goal,
    f.pass === null ? '' : f.pass ? 'PASS' : 'MISS',
  ]);
  return aligned([['', 'figure', 'measured', 'goal', ''], ...rows], (i) => i === 2);
}

/** The end-to-end runs as an aligned plain-text table. */
export const scalingText = (e2e: BenchResults['e2e']) => aligned([SCALING_HEAD, ...scalingRows(e2e)], () => true);

/** The bus and JetStream side by side: publishes, catch-up, then end to end through the ingress. */
export function transportsText(r: Pick<BenchResults, 'e2e' | 'bus' | 'busSigned' | 'catchUp' | 'jetStream' | 'sizes'>): string {
  return [aligned([publishHead(r), ...publishRows(r)]), aligned([catchUpHead(r), ...catchUpRows(r)]), aligned([e2eHead(r), ...e2eRows(r)])].join('\n\n');
}

/** The read path, a column per blog size; why a size failed underneath. */
export function readPathText(r: Pick<BenchResults, 'readPath'>): string {
  if (!r.readPath?.length) return 'not run';
  return [aligned([readPathHead(r), ...readPathRows(r)]), ...readPathNotes(r)].join('\n');
}

/** Metrics and traces off and on, a row per mode; why it failed instead. */
export function observabilityText(r: Pick<BenchResults, 'observability'>): string {
  if (!r.observability) return 'not run';
  if (!r.observability.result) return `failed: ${r.observability.error ?? 'no result'}`;
  return aligned([OBSERVABILITY_HEAD, ...observabilityRows(r)]);
}
