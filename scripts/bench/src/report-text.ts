/** A run for the terminal: each table as aligned columns. */
import type { BenchResults, Figure } from './results';
import * as tables from './tables';

function textOf(t: tables.Table): string {
  const rows = [t.head, ...t.rows];
  const widths = t.head.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (tables.isRight(t, i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return rows.map((r) => line(r).trimEnd()).join('\n');
}

export const figuresText = (figures: Figure[]) => textOf(tables.figuresTable(figures));

export const scalingText = (e2e: BenchResults['e2e']) => textOf(tables.scalingTable(e2e));

/** The bus and JetStream side by side: publishes, catch-up, then end to end through the ingress. */
export const transportsText = (r: BenchResults) => [tables.publishTable(r), tables.catchUpTable(r), tables.e2eTable(r)].map(textOf).join('\n\n');

export const readPathText = (r: BenchResults) => (r.readPath?.length ? [textOf(tables.readPathTable(r)), ...tables.readPathNotes(r)].join('\n') : 'not run');

export function observabilityText(r: BenchResults): string {
  if (!r.observability) return 'not run';
  if (!r.observability.result) return `failed: ${r.observability.error ?? 'no result'}`;
  return textOf(tables.observabilityTable(r));
}

export const stateText = (r: BenchResults) => (r.state ? [tables.stateTable(r), tables.ceilingTable(r)].map(textOf).join('\n\n') : 'not run');
