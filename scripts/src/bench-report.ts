/**
 * Turns a bench run into what people read: the figures beside their goals (terminal and
 * Markdown), a small hand-written SVG chart (no dependencies), and docs/benchmarks.md.
 */
import type { BusResult } from './bench-bus';
import type { CatchUpResult } from './bench-catchup';
import { WARMUP_COMMENTS, type E2EResult } from './bench-e2e';

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
  sizes: { posts: number; comments: number; clients: number[]; judgedClients: number; busEvents: number; busPublishers: number; catchUpEvents: number };
  e2e: Array<{ clients: number; result?: E2EResult; error?: string }>;
  bus: { result?: BusResult; error?: string };
  catchUp: { result?: CatchUpResult; error?: string };
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

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function figuresOf(r: Pick<BenchResults, 'e2e' | 'bus' | 'catchUp' | 'sizes'>): Figure[] {
  const out: Figure[] = [];
  const add = (group: string, name: string, value: number | undefined, goal: string, pass: ((v: number) => boolean) | null, show: (v: number) => string = (v) => fmt(v)) =>
    out.push({ group, name, value: value === undefined || Number.isNaN(value) ? 'failed' : show(value), goal, pass: value === undefined || Number.isNaN(value) ? (pass ? false : null) : pass ? pass(value) : null });

  const judged = r.e2e.find((e) => e.clients === r.sizes.judgedClients)?.result;
  const g = `End to end, ${r.sizes.judgedClients} clients`;
  add(g, 'errors (non-201 answers)', judged?.errors, '0', (v) => v === 0);
  add(g, 'lost (accepted, never in GET /posts)', judged?.lost, '0', (v) => v === 0);
  add(g, 'duplicated in GET /posts', judged?.duplicated, '0', (v) => v === 0);
  add(g, 'wrong or still pending status', judged ? judged.wrongStatus + judged.stillPending : undefined, '0', (v) => v === 0);
  add(g, 'settled throughput, comments/s', judged?.settledPerSecond, '≥ 400', (v) => v >= 400);
  add(g, 'write latency p99, ms', judged?.latencyMs.p99, '≤ 100', (v) => v <= 100, (v) => fmt(v, 1));
  add(g, `write latency p99 of the ${fmt(WARMUP_COMMENTS)} warm-up comments right after start, ms`, judged?.warmup?.latencyMs.p99, '(reported)', null, (v) => fmt(v, 1));
  add(g, 'settled after the last write, s', judged?.settleSeconds, '≤ 1', (v) => v <= 1, (v) => fmt(v, 2));

  const bus = r.bus.result;
  const b = `Bus, ${r.sizes.busPublishers} publishers, log on disk`;
  add(b, 'publish throughput, events/s', bus?.perSecond, '≥ 5,000', (v) => v >= 5000);
  add(b, 'errors', bus?.errors, '0', (v) => v === 0);
  add(b, 'acknowledged but not in the file after SIGKILL', bus ? bus.missingOnDisk + bus.outOfOrder : undefined, '0', (v) => v === 0);
  add(b, 'raw fsync rate of the same disk, /s', bus?.rawFsyncPerSecond, '(reference)', null);
  add(b, 'bus CPU during the publishes, s (wall s)', bus?.cpuSeconds.bus, '(reported)', null, (v) => `${fmt(v, 2)} (${fmt(bus!.seconds, 2)})`);
  add(b, 'publishes per raw fsync (group commit)', bus?.ratio, '(reported)', null, (v) => `${fmt(v, 1)}×`);

  const c = r.catchUp.result;
  const cg = `Catch-up, ${fmt(r.sizes.catchUpEvents)} events`;
  add(cg, 'query ready after start, s', c?.readySeconds, '≤ 5', (v) => v <= 5, (v) => fmt(v, 2));
  add(cg, 'bus RSS, MB', c?.rssMB.bus, '≤ 150', (v) => v <= 150, (v) => fmt(v, 1));
  add(cg, 'query RSS, MB', c?.rssMB.query, '≤ 150', (v) => v <= 150, (v) => fmt(v, 1));
  add(cg, 'bus / query peak RSS, MB', c ? Math.max(c.peakRssMB.bus, c.peakRssMB.query) : undefined, '(reported)', null, () => `${fmt(c!.peakRssMB.bus, 1)} / ${fmt(c!.peakRssMB.query, 1)}`);
  return out;
}

const verdict = (f: Figure) => (f.pass === null ? '' : f.pass ? 'PASS' : 'MISS');

/** The figures as an aligned plain-text table. */
export function figuresText(figures: Figure[]): string {
  const rows = figures.map((f) => [f.group, f.name, f.value, f.goal, verdict(f)]);
  const head = ['', 'figure', 'measured', 'goal', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  let lastGroup = '';
  const body = rows.map((r) => {
    const shown = [...r];
    if (r[0] === lastGroup) shown[0] = '';
    lastGroup = r[0];
    return line(shown);
  });
  return [line(head), ...body].join('\n');
}

export function scalingRows(e2e: BenchResults['e2e']): string[][] {
  return e2e.map(({ clients, result: r, error }) =>
    r
      ? [String(clients), fmt(r.latencyMs.p50, 1), fmt(r.latencyMs.p90, 1), fmt(r.latencyMs.p99, 1), fmt(r.latencyMs.max, 1), fmt(r.settledPerSecond), fmt(r.writeSeconds, 2), fmt(r.settleSeconds, 2), fmt(r.errors), fmt(r.lost)]
      : [String(clients), `failed: ${(error ?? '').split('\n')[0]}`, '', '', '', '', '', '', '', ''],
  );
}
const SCALING_HEAD = ['clients', 'p50 ms', 'p90 ms', 'p99 ms (goal ≤ 100)', 'max ms', 'settled/s (goal ≥ 400)', 'write s', 'settle s (goal ≤ 1)', 'errors', 'lost'];

export function scalingText(e2e: BenchResults['e2e']): string {
  const rows = scalingRows(e2e);
  const widths = SCALING_HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [SCALING_HEAD, ...rows].map((r) => r.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n');
}

// ---------- the chart ----------

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
  labels?: boolean;
}

function panel(o: { x: number; title: string; unit: string; clients: number[]; series: Series[]; goal: { value: number; label: string } }): string {
  const W = 310, H = 232, left = 48, right = 30, top = 44, bottom = 36;
  const plotW = W - left - right, plotH = H - top - bottom;
  const all = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const { max: yMax, step } = niceAxis(Math.max(o.goal.value * 1.1, ...all) * 1.05);
  const xMax = Math.max(...o.clients) * 1.04;
  const X = (c: number) => left + (c / xMax) * plotW;
  const Y = (v: number) => top + plotH - (v / yMax) * plotH;
  const parts: string[] = [`<g transform="translate(${o.x},0)">`];
  parts.push(`<text x="${left}" y="15" class="t">${esc(o.title)}</text>`);
  for (let v = 0; v <= yMax + step / 2; v += step) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 5}" y="${(Y(v) + 3.5).toFixed(1)}" class="a" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const c of o.clients) {
    parts.push(`<text x="${X(c).toFixed(1)}" y="${top + plotH + 14}" class="a" text-anchor="middle">${c}</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 30}" class="a" text-anchor="middle">concurrent clients</text>`);
  parts.push(`<text x="11" y="${top + plotH / 2}" class="a" text-anchor="middle" transform="rotate(-90 11 ${top + plotH / 2})">${esc(o.unit)}</text>`);
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${Y(o.goal.value).toFixed(1)}" y2="${Y(o.goal.value).toFixed(1)}" class="goal"/>`);
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([c, v], i) => `${i ? 'L' : 'M'}${X(c).toFixed(1)},${Y(v).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"/>`);
    for (const [c, v] of s.points) {
      parts.push(`<circle cx="${X(c).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="3" fill="${s.color}"/>`);
      if (s.labels) parts.push(`<text x="${(X(c) + 5).toFixed(1)}" y="${(Y(v) - 6).toFixed(1)}" class="a v" fill="${s.color}">${fmt(v, v < 10 ? 1 : 0)}</text>`);
    }
  }
  // Legend under the title: the series, then the goal (dashed).
  let lx = left;
  for (const s of o.series) {
    parts.push(`<line x1="${lx}" x2="${lx + 12}" y1="29" y2="29" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 15}" y="32.5" class="a">${esc(s.label)}</text>`);
    lx += 22 + s.label.length * 6.2;
  }
  parts.push(`<line x1="${lx}" x2="${lx + 16}" y1="29" y2="29" class="goal"/>`);
  parts.push(`<text x="${lx + 19}" y="32.5" class="a g">${esc(o.goal.label)}</text>`);
  parts.push('</g>');
  return parts.join('\n');
}

export function chartSvg(r: BenchResults): string {
  const ok = r.e2e.filter((e) => e.result).map((e) => e.result!);
  const clients = r.e2e.map((e) => e.clients);
  const latency = panel({
    x: 0,
    title: 'Write latency',
    unit: 'ms',
    clients,
    series: [
      { label: 'p50', color: '#9ecae1', points: ok.map((e) => [e.clients, e.latencyMs.p50]) },
      { label: 'p90', color: '#4292c6', points: ok.map((e) => [e.clients, e.latencyMs.p90]) },
      { label: 'p99', color: '#08306b', points: ok.map((e) => [e.clients, e.latencyMs.p99]), width: 2.5, labels: true },
    ],
    goal: { value: 100, label: 'goal: p99 ≤ 100 ms' },
  });
  const throughput = panel({
    x: 320,
    title: 'Settled throughput',
    unit: 'comments/s',
    clients,
    series: [{ label: 'settled/s', color: '#d94801', points: ok.map((e) => [e.clients, e.settledPerSecond]), width: 2.5, labels: true }],
    goal: { value: 400, label: 'goal: ≥ 400/s' },
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="630" height="232" viewBox="0 0 630 232" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    `<title>posts.com end to end: write latency and settled throughput against concurrent clients (${esc(r.startedAt.slice(0, 10))})</title>`,
    `<style>.t{font-size:13px;font-weight:600;fill:#222}.v{font-weight:600}.a{font-size:10.5px;fill:#444}.g{fill:#777}.grid{stroke:#e6e6e6;stroke-width:1}.goal{stroke:#888;stroke-width:1.2;stroke-dasharray:5 4}</style>`,
    `<rect width="630" height="232" fill="#fff"/>`,
    latency,
    throughput,
    `</svg>`,
    '',
  ].join('\n');
}

// ---------- docs/benchmarks.md ----------

const PROFILE_START = '<!-- profile:start -->';
const PROFILE_END = '<!-- profile:end -->';

/** The text between the profile markers of the current page, kept as it is. */
export function profileSection(existing: string | undefined): string {
  if (!existing) return '\n';
  const a = existing.indexOf(PROFILE_START);
  const b = existing.indexOf(PROFILE_END);
  return a >= 0 && b > a ? existing.slice(a + PROFILE_START.length, b) : '\n';
}

function mdTable(head: string[], rows: string[][], right: number[] = []): string {
  const sep = head.map((_, i) => (right.includes(i) ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n');
}

export function benchmarksMd(r: BenchResults, existing: string | undefined): string {
  const passed = r.figures.filter((f) => f.pass === true).length;
  const judged = r.figures.filter((f) => f.pass !== null).length;
  const m = r.machine;
  const e50 = r.e2e.find((e) => e.clients === r.sizes.judgedClients)?.result;
  const cpuRows = e50
    ? Object.entries(e50.cpuSeconds)
        .sort((a, b) => b[1] - a[1])
        .map(([name, s]) => [name, fmt(s, 2), `${fmt((100 * s) / (e50.writeSeconds + e50.settleSeconds), 0)} %`])
    : [];
  return `# Benchmarks

Figures of the last run of \`npm run bench\` (${r.startedAt.replace('T', ' ').slice(0, 16)} UTC, ${fmt(r.durationSeconds)} s after the build):
**${passed} of ${judged} goals met.** This page and [the chart](benchmarks.svg) are rewritten by every run; the raw
results are in \`bench/results/<timestamp>.json\` (not committed).

\`\`\`sh
npm ci && npm run bench
\`\`\`

## The figures

${mdTable(['', 'figure', 'measured', 'goal', ''], r.figures.map((f, i) => [i > 0 && r.figures[i - 1].group === f.group ? '' : `**${f.group}**`, f.name, f.value, f.goal, f.pass === null ? '' : f.pass ? 'PASS' : '**MISS**']), [2])}

## Load against clients

![Write latency p50/p90/p99 and settled throughput against concurrent clients](benchmarks.svg)

${mdTable(['clients', 'p50 ms', 'p90 ms', 'p99 ms (goal ≤ 100)', 'max ms', 'settled/s (goal ≥ 400)', 'write s', 'settle s (goal ≤ 1)', 'errors', 'lost'], scalingRows(r.e2e), [1, 2, 3, 4, 5, 6, 7, 8, 9])}

Each run: ${fmt(r.sizes.posts)} posts, then ${fmt(r.sizes.comments)} comments (every fifth containing "orange") from N
concurrent keep-alive clients, then \`GET /posts\` polled every 20 ms until every accepted comment is there once with
its final status. The ${r.sizes.judgedClients}-client run is the one judged against the goals.
${cpuRows.length ? `\nCPU seconds per process during the ${r.sizes.judgedClients}-client run (first comment to settled; % of one core over that time):\n\n${mdTable(['process', 'CPU s', 'of one core'], cpuRows, [1, 2])}\n` : ''}
## The machine

| | |
|---|---|
| CPU | ${m.cpu} |
| cores | ${m.cores} |
| memory | ${fmt(m.memoryGB, 1)} GB |
| Node | ${m.node} |
| OS | ${m.os} |
| data folders on | ${m.fs} |
| load average at start | ${fmt(m.loadAverageAtStart, 2)} |

## How it measures

- **Black-box.** Only HTTP answers and \`/proc\` (CPU time, \`VmRSS\`, \`VmHWM\`). Every run starts from an empty data
  folder under \`bench/results/\` (the repository's disk, as \`npm start\`'s \`.data/\`), removed afterwards.
- **End to end** goes through the local ingress of \`npm start\` (the same launcher code, all six services, the bus's
  log on disk). The clients run in a process of their own, as browsers would. Latency is one comment's
  \`POST /posts/:id/comments\`, request to last byte of the answer; settled throughput is accepted comments ÷
  (write time + settle time). Right after start, before the measured run, the same clients write ${fmt(WARMUP_COMMENTS)}
  comments on a post of their own (checked too, not judged): a freshly started Node system answers its first
  second slowly (cold JIT, new connections), and that first second is reported in its own row rather than folded
  into the steady state's p99.
- **Bus:** \`node event-bus/dist/index.js\` with \`EVENT_LOG_PATH\` and no subscribers; ${fmt(r.sizes.busEvents)} single-event
  publishes from ${r.sizes.busPublishers} keep-alive connections. Right after the last 201 the bus is SIGKILLed and the file
  must hold every acknowledged event, with \`seq\` 1, 2, 3 … Then a \`write\`(≈200 bytes) + \`fdatasync\` loop in the same
  folder gives the raw flush rate; the ratio is publishes per second ÷ flushes per second.
- **Catch-up:** a log of ${fmt(r.sizes.catchUpEvents)} events (posts, and per comment its \`CommentCreated\`,
  \`CommentModerated\` and \`CommentUpdated\`) is written to a file; the bus starts on it with query as its subscriber,
  then query is timed from spawn to its first 200 on \`/readyz\`. RSS of both is read once query is ready and has
  served one \`GET /posts\`${r.catchUp.result ? ` (${fmt(r.catchUp.result.firstGetPostsMs)} ms, ${fmt(r.catchUp.result.getPostsMB, 1)} MB)` : ''}.
- No timing assertions run in \`npm test\`, and the bench is not part of \`.ci/run\`: figures from a shared or busy
  machine are noise, so compare runs on the same quiet machine.

## What the profile showed

${PROFILE_START}${profileSection(existing)}${PROFILE_END}
`;
}
