/** The read path against the blog's size: one row per figure, a column per size, for the terminal and the page. */
import { fmt } from './format';
import type { ReadPathResult } from './read-path';
import type { BenchResults } from './results';

type Run = Pick<BenchResults, 'readPath'>;

export function readPathHead(r: Run): string[] {
  return ['figure', ...(r.readPath ?? []).map((s) => `${fmt(s.comments)} comments`)];
}

const ROWS: Array<[string, (x: ReadPathResult) => string]> = [
  ['first page (GET /posts/page), KB', (x) => fmt(x.page.bytes / 1024, 1)],
  ['first page latency p50, ms', (x) => fmt(x.page.latencyMs.p50, 1)],
  ['first page latency p99, ms', (x) => fmt(x.page.latencyMs.p99, 1)],
  ['first page errors', (x) => `${fmt(x.page.errors)} of ${fmt(x.page.requests)}`],
  ['first page p99 right after start (warm-up), ms', (x) => (x.pageWarmup ? fmt(x.pageWarmup.latencyMs.p99, 1) : '–')],
  ['live update p50, ms', (x) => fmt(x.live.latencyMs.p50, 1)],
  ['live update p99, ms', (x) => fmt(x.live.latencyMs.p99, 1)],
  ['live updates missed', (x) => `${fmt(x.live.missed)} of ${fmt(x.live.updates)}`],
  ['live update event, bytes', (x) => fmt(x.live.frameBytes)],
  ['comments RSS, MB', (x) => fmt(x.rssMB.comments, 1)],
  ['query RSS, MB', (x) => fmt(x.rssMB.query, 1)],
  ['first paint (first post visible), ms', (x) => (x.firstPaintNotRun ? 'not run' : x.firstPaintMs === undefined ? '–' : fmt(x.firstPaintMs))],
  ['first-contentful-paint, ms', (x) => (x.firstPaintNotRun || x.firstContentfulPaintMs === undefined ? '–' : fmt(x.firstContentfulPaintMs))],
  ['system start on the log, s', (x) => fmt(x.startSeconds, 2)],
];

export function readPathRows(r: Run): string[][] {
  const sizes = r.readPath ?? [];
  return ROWS.map(([name, cell]) => [name, ...sizes.map((s) => (s.result ? cell(s.result) : 'failed'))]);
}

/** Why a size failed, or why first paint did not run: one line each, for under the table. */
export function readPathNotes(r: Run): string[] {
  return (r.readPath ?? []).flatMap((s) => {
    const at = `${fmt(s.comments)} comments`;
    if (s.error) return [`${at}: failed: ${s.error}`];
    if (s.result?.firstPaintNotRun) return [`${at}: first paint not run: ${s.result.firstPaintNotRun}`];
    return [];
  });
}
