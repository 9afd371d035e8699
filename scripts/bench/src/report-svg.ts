/** docs/benchmarks.svg and docs/read-path.svg, hand-written: a chart library weighs megabytes for a few lines. */
import { fmt } from './format';
import type { ReadPathResult } from './read-path';
import type { E2EResult } from './e2e';
import type { BenchResults } from './results';

/** An axis maximum of four equal, round steps (1, 2, 2.5 or 5 × 10^k) that holds `v`. */
function niceAxis(v: number): { max: number; step: number } {
  const raw = (v > 0 ? v : 1) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((st) => st >= raw)!;
  return { max: step * 4, step };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
  width?: number;
  /** Its values labelled over the points, or under them, clear of a series labelled over. */
  labels?: 'over' | 'under';
}

interface Panel {
  title: string;
  unit: string;
  /** Where the x axis has ticks, and what it counts. */
  xs: number[];
  xLabel: string;
  /** Sizes a decade apart read best on a log scale. */
  logX?: boolean;
  series: Series[];
  goal: { value: number; label: string };
}

function panel(o: Panel, x: number, y: number): string {
  // A 310 × 232 panel: the plot inside margins of 48 (left), 30 (right), 44 (top) and 36 (bottom).
  const [left, top, plotW, plotH] = [48, 44, 310 - 48 - 30, 232 - 44 - 36];
  const all = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const { max: yMax, step } = niceAxis(Math.max(o.goal.value * 1.1, ...all) * 1.05);
  const xMax = Math.max(...o.xs) * 1.04;
  const [lo, hi] = [Math.log10(Math.min(...o.xs)), Math.log10(Math.max(...o.xs))];
  // On a log scale the ends sit a little inside the plot, as the linear scale's do.
  const X = o.logX ? (c: number) => left + plotW * (0.06 + (0.88 * (Math.log10(c) - lo)) / (hi - lo || 1)) : (c: number) => left + (c / xMax) * plotW;
  const Y = (v: number) => top + plotH - (v / yMax) * plotH;
  const parts: string[] = [`<g transform="translate(${x},${y})">`];
  parts.push(`<text x="${left}" y="15" class="t">${esc(o.title)}</text>`);
  for (let v = 0; v <= yMax + step / 2; v += step) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 5}" y="${(Y(v) + 3.5).toFixed(1)}" class="a" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const c of o.xs) {
    parts.push(`<text x="${X(c).toFixed(1)}" y="${top + plotH + 14}" class="a" text-anchor="middle">${fmt(c)}</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 30}" class="a" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text x="11" y="${top + plotH / 2}" class="a" text-anchor="middle" transform="rotate(-90 11 ${top + plotH / 2})">${esc(o.unit)}</text>`);
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${Y(o.goal.value).toFixed(1)}" y2="${Y(o.goal.value).toFixed(1)}" class="goal"/>`);
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([c, v], i) => `${i ? 'L' : 'M'}${X(c).toFixed(1)},${Y(v).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"/>`);
    for (const [c, v] of s.points) {
      parts.push(`<circle cx="${X(c).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="3" fill="${s.color}"/>`);
      if (s.labels)
        parts.push(
          `<text x="${(X(c) + 5).toFixed(1)}" y="${(Y(v) + (s.labels === 'under' ? 14 : -6)).toFixed(1)}" class="a v" fill="${s.color}">${fmt(v, v < 10 ? 1 : 0)}</text>`,
        );
    }
  }
  // Legend under the title: the series, then the goal (dashed).
  let lx = left;
  for (const s of o.series) {
    parts.push(`<line x1="${lx}" x2="${lx + 12}" y1="29" y2="29" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 15}" y="32.5" class="a">${esc(s.label)}</text>`);
    lx += 24 + s.label.length * 6.4;
  }
  parts.push(`<line x1="${lx}" x2="${lx + 16}" y1="29" y2="29" class="goal"/>`);
  parts.push(`<text x="${lx + 19}" y="32.5" class="a g">${esc(o.goal.label)}</text>`);
  parts.push('</g>');
  return parts.join('\n');
}

const STYLE = `<style>.t{font-size:13px;font-weight:600;fill:#222}.v{font-weight:600}.a{font-size:10.5px;fill:#444}.g{fill:#777}.grid{stroke:#e6e6e6;stroke-width:1}.goal{stroke:#888;stroke-width:1.2;stroke-dasharray:5 4}</style>`;

/** The panels three to a row, each 320 × 240. */
function svg(title: string, panels: Panel[]): string {
  const [width, height] = [Math.min(3, panels.length) * 320 - 10, Math.ceil(panels.length / 3) * 240 - 8];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    `<title>${esc(title)}</title>`,
    STYLE,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...panels.map((p, i) => panel(p, (i % 3) * 320, Math.floor(i / 3) * 240)),
    `</svg>`,
    '',
  ].join('\n');
}

export function chartSvg(r: BenchResults): string {
  const ok = r.e2e.filter((e) => e.result).map((e) => e.result!);
  const common = { xs: r.e2e.map((e) => e.clients), xLabel: 'concurrent clients' };
  const at = (pick: (e: E2EResult) => number): Array<[number, number]> => ok.map((e) => [e.clients, pick(e)]);
  const latency: Panel = {
    ...common,
    title: 'Write latency',
    unit: 'ms',
    series: [
      { label: 'p50', color: '#9ecae1', points: at((e) => e.latencyMs.p50) },
      { label: 'p90', color: '#4292c6', points: at((e) => e.latencyMs.p90) },
      { label: 'p99', color: '#08306b', points: at((e) => e.latencyMs.p99), width: 2.5, labels: 'over' },
    ],
    goal: { value: 100, label: 'goal: p99 ≤ 100 ms' },
  };
  const settled: Series = { label: 'settled/s', color: '#d94801', points: at((e) => e.settledPerSecond), width: 2.5, labels: 'over' };
  const throughput = { ...common, title: 'Settled throughput', unit: 'comments/s', series: [settled], goal: { value: 400, label: 'goal: ≥ 400/s' } };
  return svg(`posts.com end to end: write latency and settled throughput against concurrent clients (${r.startedAt.slice(0, 10)})`, [latency, throughput]);
}

/** The read path's figures against the blog's size, a panel each with its goal: what must stay flat as the blog grows. */
export function readPathSvg(r: BenchResults): string {
  const runs = (r.readPath ?? []).filter((s) => s.result).map((s) => s.result!);
  const xs = (r.readPath ?? []).map((s) => s.comments);
  const at = (pick: (x: ReadPathResult) => number | undefined): Array<[number, number]> =>
    runs.flatMap((x) => (pick(x) === undefined || Number.isNaN(pick(x)) ? [] : [[x.comments, pick(x)!] as [number, number]]));
  const common = { xs, xLabel: 'comments in the blog', logX: true };
  const panels: Array<Omit<Panel, 'xs' | 'xLabel' | 'logX'>> = [
    {
      title: 'First page, size',
      unit: 'KB',
      series: [{ label: 'GET /posts/page', color: '#08306b', points: at((x) => x.page.bytes / 1024), width: 2.5, labels: 'over' }],
      goal: { value: 50, label: 'goal: ≤ 50 KB' },
    },
    {
      title: 'First page, latency',
      unit: 'ms',
      series: [
        { label: 'p50', color: '#9ecae1', points: at((x) => x.page.latencyMs.p50) },
        { label: 'p99', color: '#08306b', points: at((x) => x.page.latencyMs.p99), width: 2.5, labels: 'over' },
        { label: 'p99 at start', color: '#fd8d3c', points: at((x) => x.pageWarmup?.latencyMs.p99) },
      ],
      goal: { value: 20, label: 'goal: p99 ≤ 20 ms' },
    },
    {
      title: 'First paint in Chromium',
      unit: 'ms',
      series: [{ label: 'first post visible', color: '#54278f', points: at((x) => x.firstPaintMs), width: 2.5, labels: 'over' }],
      goal: { value: 1000, label: 'goal: ≤ 1 s' },
    },
    {
      title: 'A new comment on an open page',
      unit: 'ms',
      series: [
        { label: 'p50', color: '#a1d99b', points: at((x) => x.live.latencyMs.p50) },
        { label: 'p99', color: '#006d2c', points: at((x) => x.live.latencyMs.p99), width: 2.5, labels: 'over' },
      ],
      goal: { value: 1000, label: 'goal: ≤ 1 s' },
    },
    {
      title: 'Bytes sent for it',
      unit: 'bytes',
      series: [{ label: 'live event', color: '#006d2c', points: at((x) => x.live.frameBytes), width: 2.5, labels: 'over' }],
      goal: { value: 2048, label: 'goal: ≤ 2 KB' },
    },
    {
      title: 'Memory (RSS)',
      unit: 'MB',
      series: [
        { label: 'comments', color: '#fd8d3c', points: at((x) => x.rssMB.comments), labels: 'under' },
        { label: 'query', color: '#a63603', points: at((x) => x.rssMB.query), width: 2.5, labels: 'over' },
      ],
      goal: { value: 150, label: 'goal: ≤ 150 MB' },
    },
  ];
  const drawn = panels.map((p) => ({ ...p, ...common }));
  return svg(`posts.com read path: each figure against the blog's size (${r.startedAt.slice(0, 10)})`, drawn);
}
