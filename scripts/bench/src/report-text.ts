/** A run for the terminal: the figures beside their goals, the end-to-end runs against clients, the bus beside JetStream. */
import { OBSERVABILITY_HEAD, observabilityRows } from './observability-report';
import type { BenchResults, Figure } from './results';
import { readPathHead, readPathNotes, readPathRows } from './read-path-report';
import { SCALING_HEAD, scalingRows } from './scaling';
import { catchUpHead, catchUpRows, e2eHead, e2eRows, publishHead, publishRows } from './transports';

const verdict = (f: Figure) => (f.pass === null ? '' : f.pass ? 'PASS' : 'MISS');

/** The figures as an aligned plain-text table. */
export function figuresText(figures: Figure[]): string {
  const rows = figures.map((f) => [f.group, f.name, f.value, f.goal, verdict(f)]);
  const head = ['', 'figure', 'measured', 'goal', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  let lastGroup = '';
  const body = rows.map((r) => {
    const shown = [...r];
    if (r[0] === lastGroup) shown[0] = '';
    lastGroup = r[0];
    return line(shown);
  });
  return [line(head), ...body].join('\n');
}

/** The end-to-end runs as an aligned plain-text table. */
export function scalingText(e2e: BenchResults['e2e']): string {
  const rows = scalingRows(e2e);
  const widths = SCALING_HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [SCALING_HEAD, ...rows].map((r) => r.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n');
}

/** A table whose first column is names (left-aligned) and the others figures (right-aligned). */
function namedTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The bus and JetStream side by side: publishes, catch-up, then end to end through the ingress. */
export function transportsText(r: Pick<BenchResults, 'e2e' | 'bus' | 'busSigned' | 'catchUp' | 'jetStream' | 'sizes'>): string {
  return [namedTable(publishHead(r), publishRows(r)), namedTable(catchUpHead(r), catchUpRows(r)), namedTable(e2eHead(r), e2eRows(r))].join('\n\n');
}

/** The read path, a column per blog size; why a size failed underneath. */
export function readPathText(r: Pick<BenchResults, 'readPath'>): string {
  if (!r.readPath?.length) return 'not run';
  return [namedTable(readPathHead(r), readPathRows(r)), ...readPathNotes(r)].join('\n');
}

/** Metrics and traces off and on, a row per mode; why it failed instead. */
export function observabilityText(r: Pick<BenchResults, 'observability'>): string {
  if (!r.observability) return 'not run';
  if (!r.observability.result) return `failed: ${r.observability.error ?? 'no result'}`;
  return namedTable(OBSERVABILITY_HEAD, observabilityRows(r));
}
