/** The goals: each figure of a run beside its goal, and whether it met it. */
import { fmt } from './format';
import type { BenchResults, Figure } from './results';
import type { E2EResult } from './e2e';
import { WARMUP_COMMENTS } from './sizes';

/** Every figure of a run beside its goal; a part of the bench that failed misses each goal it had. */
export function figuresOf(r: Pick<BenchResults, 'e2e' | 'bus' | 'busSigned' | 'catchUp' | 'jetStream' | 'sizes' | 'readPath' | 'observability'>): Figure[] {
  const out: Figure[] = [];
  const add = (
    group: string,
    name: string,
    value: number | undefined,
    goal: string,
    pass: ((v: number) => boolean) | null,
    show: (v: number) => string = (v) => fmt(v),
  ) =>
    out.push({
      group,
      name,
      value: value === undefined || Number.isNaN(value) ? 'failed' : show(value),
      goal,
      pass: value === undefined || Number.isNaN(value) ? (pass ? false : null) : pass ? pass(value) : null,
    });

  const judged = r.e2e.find((e) => e.clients === r.sizes.judgedClients)?.result;
  const g = `End to end, ${r.sizes.judgedClients} clients`;
  add(g, 'errors (non-201 answers)', judged?.errors, '0', (v) => v === 0);
  add(g, 'lost (accepted, never in GET /posts)', judged?.lost, '0', (v) => v === 0);
  add(g, 'duplicated in GET /posts', judged?.duplicated, '0', (v) => v === 0);
  add(g, 'wrong or still pending status', judged ? judged.wrongStatus + judged.stillPending : undefined, '0', (v) => v === 0);
  add(g, 'settled throughput, comments/s', judged?.settledPerSecond, '≥ 400', (v) => v >= 400);
  add(
    g,
    'write latency p99, ms',
    judged?.latencyMs.p99,
    '≤ 100',
    (v) => v <= 100,
    (v) => fmt(v, 1),
  );
  add(g, `write latency p99 of the ${fmt(WARMUP_COMMENTS)} warm-up comments right after start, ms`, judged?.warmup?.latencyMs.p99, '(reported)', null, (v) =>
    fmt(v, 1),
  );
  add(
    g,
    'settled after the last write, s',
    judged?.settleSeconds,
    '≤ 1',
    (v) => v <= 1,
    (v) => fmt(v, 2),
  );

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
  add(
    cg,
    'query ready after start, s',
    c?.readySeconds,
    '≤ 5',
    (v) => v <= 5,
    (v) => fmt(v, 2),
  );
  add(
    cg,
    'bus RSS, MB',
    c?.rssMB.bus,
    '≤ 150',
    (v) => v <= 150,
    (v) => fmt(v, 1),
  );
  add(
    cg,
    'query RSS, MB',
    c?.rssMB.query,
    '≤ 150',
    (v) => v <= 150,
    (v) => fmt(v, 1),
  );
  add(
    cg,
    'bus / query peak RSS, MB',
    c ? Math.max(c.peakRssMB.bus, c.peakRssMB.query) : undefined,
    '(reported)',
    null,
    () => `${fmt(c!.peakRssMB.bus, 1)} / ${fmt(c!.peakRssMB.query, 1)}`,
  );

  // Beside the engine: a JetStream figure that could not run (no nats-server here) is not judged.
  const js = r.jetStream;
  const signed = r.busSigned.result;
  const jg = `Bus against JetStream, ${r.sizes.busPublishers} publishers`;
  const addJs: typeof add = (group, name, value, goal, pass, show) =>
    js.notRun ? out.push({ group, name, value: `not run: ${js.notRun}`, goal, pass: null }) : add(group, name, value, goal, pass, show);
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
  const times = (v: number) => `${fmt(v, 2)}×`;
  add(jg, 'signed bus: errors', signed?.errors, '0', (v) => v === 0);
  add(jg, 'signed bus: acknowledged but not in the file after SIGKILL', signed ? signed.missingOnDisk + signed.outOfOrder : undefined, '0', (v) => v === 0);
  addJs(jg, 'publish throughput, signed bus / JetStream R1', ratio(signed?.perSecond, js.r1.result?.perSecond), '≥ 1.0×', (v) => v >= 1, times);
  addJs(
    jg,
    'publish throughput, SDK / raw js.publish on JetStream R1',
    ratio(js.sdk.result?.perSecond, js.r1.result?.perSecond),
    '≥ 0.8×',
    (v) => v >= 0.8,
    times,
  );
  addJs(
    jg,
    'JetStream: errors (R1, R3, SDK)',
    js.r1.result && js.r3.result && js.sdk.result ? js.r1.result.errors + js.r3.result.errors + js.sdk.result.errors : undefined,
    '0',
    (v) => v === 0,
  );
  addJs(
    jg,
    `query ready after start, ${fmt(r.sizes.catchUpEvents)} events from JetStream R1, s`,
    js.catchUp.result?.readySeconds,
    '≤ 5',
    (v) => v <= 5,
    (v) => fmt(v, 2),
  );

  // The same end-to-end load on JetStream R3 with two processes of each backend, beside the bus's judged run: the issue
  // asks for the figures, not for a goal, so they are compared, never judged.
  const je = js.e2e;
  const eg = `End to end, ${r.sizes.judgedClients} clients, JetStream R3 (2 per backend)`;
  const side = (v: number | undefined, show: (v: number) => string) => (v === undefined ? 'failed' : show(v));
  const compare = (name: string, value: () => string) =>
    out.push({ group: eg, name, value: js.notRun ? `not run: ${js.notRun}` : je ? value() : 'not run', goal: '(comparison)', pass: null });
  const ms = (v: number) => fmt(v, 1);
  compare('settled throughput, comments/s: bus / JetStream R3', () => `${side(judged?.settledPerSecond, fmt)} / ${side(je?.result?.settledPerSecond, fmt)}`);
  compare('settled throughput, JetStream R3 / bus', () => side(ratio(je?.result?.settledPerSecond, judged?.settledPerSecond), times));
  compare('write latency p99, ms: bus / JetStream R3', () => `${side(judged?.latencyMs.p99, ms)} / ${side(je?.result?.latencyMs.p99, ms)}`);
  compare('write latency p99, JetStream R3 / bus', () => side(ratio(je?.result?.latencyMs.p99, judged?.latencyMs.p99), times));
  compare('JetStream R3: errors / lost / duplicated / wrong or still pending', () => {
    const e = je?.result;
    return e ? [e.errors, e.lost, e.duplicated, e.wrongStatus + e.stillPending].map((n) => fmt(n)).join(' / ') : 'failed';
  });

  if (r.readPath) readPathFigures(r.readPath, r.sizes.readPathComments ?? r.readPath.map((s) => s.comments), add, out);
  if (r.observability) observabilityFigures(r.observability, r.sizes.judgedClients, add);
  return out;
}

/** A mode's settled throughput and write p99, the median of its runs: one run that met a busy minute of the machine moves it least. */
export function medianOf(runs: E2EResult[]): { settledPerSecond: number; p99: number } {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  return { settledPerSecond: median(runs.map((r) => r.settledPerSecond)), p99: median(runs.map((r) => r.latencyMs.p99)) };
}

/** What metrics and traces cost the judged load: each mode's throughput, and metrics on within 5 % of off. */
function observabilityFigures(o: NonNullable<BenchResults['observability']>, clients: number, add: Add) {
  const g = `Watching it, ${clients} clients`;
  const x = o.result;
  const off = x && medianOf(x.runs.off);
  const metrics = x && medianOf(x.runs.metrics);
  const traces = x && medianOf(x.runs['metrics and traces']);
  const times = (v: number) => `${fmt(v, 2)}×`;
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !b ? undefined : a / b);
  const runs = x ? ` (median of ${x.rounds})` : '';
  add(g, `settled throughput, comments/s, metrics off${runs}`, off?.settledPerSecond, '(reported)', null);
  add(g, `settled throughput, comments/s, metrics on, scraped every 5 s${runs}`, metrics?.settledPerSecond, '(reported)', null);
  add(g, `settled throughput, comments/s, metrics and traces on${runs}`, traces?.settledPerSecond, '(reported)', null);
  add(g, 'settled throughput, metrics on / off', ratio(metrics?.settledPerSecond, off?.settledPerSecond), '≥ 0.95×', (v) => v >= 0.95, times);
  add(g, 'settled throughput, metrics and traces on / off', ratio(traces?.settledPerSecond, off?.settledPerSecond), '(reported)', null, times);
  add(
    g,
    'scrapes of /metrics not answered 200',
    x?.scrapeErrors,
    '0',
    (v) => v === 0,
    (v) => `${fmt(v)} of ${fmt(x!.scrapes)}`,
  );
  add(g, 'spans the OTLP receiver took', x?.spans, '(reported)', null);
}

/** The size the read path's memory and first-paint goals are judged at. */
export const READ_PATH_JUDGED_COMMENTS = 100_000;

type Add = (group: string, name: string, value: number | undefined, goal: string, pass: ((v: number) => boolean) | null, show?: (v: number) => string) => void;

/**
 * The read path at each blog size: first page bytes and latency, a live update's delay and frame, memory and first
 * paint; then whether the first page stayed flat from the smallest blog to the largest.
 */
function readPathFigures(readPath: NonNullable<BenchResults['readPath']>, sizes: number[], add: Add, out: Figure[]) {
  const g = 'Read path';
  const ms = (v: number) => fmt(v, 1);
  const kb = (v: number) => fmt(v / 1024, 1);
  for (const comments of sizes) {
    const e = readPath.find((s) => s.comments === comments);
    const x = e?.result;
    const at = `${fmt(comments)} comments`;
    const judgedHere = comments === READ_PATH_JUDGED_COMMENTS;
    add(g, `first page (GET /posts/page) size, KB, ${at}`, x?.page.bytes, '≤ 50', (v) => v <= 50 * 1024, kb);
    add(g, `first page latency p50, ms, ${at}`, x?.page.latencyMs.p50, '(reported)', null, ms);
    add(g, `first page latency p99, ms, ${at}`, x && x.page.errors === 0 ? x.page.latencyMs.p99 : undefined, '≤ 20', (v) => v <= 20, ms);
    if (x?.pageWarmup) add(g, `first page latency p99 of the warm-up reads right after start, ms, ${at}`, x.pageWarmup.latencyMs.p99, '(reported)', null, ms);
    add(
      g,
      `live update, comment posted → its event, p99 of ${x ? fmt(x.live.updates) : 'the'} updates, ms, ${at}`,
      x && x.live.missed === 0 ? x.live.latencyMs.p99 : undefined,
      '≤ 1,000',
      (v) => v <= 1000,
      ms,
    );
    add(g, `live update event (SSE frame), bytes, ${at}`, x?.live.frameBytes || undefined, '≤ 2,048', (v) => v <= 2048);
    const rss = judgedHere ? (v: number) => v <= 150 : null;
    add(g, `comments RSS, MB, ${at}`, x?.rssMB.comments, judgedHere ? '≤ 150' : '(reported)', rss, (v) => fmt(v, 1));
    add(g, `query RSS, MB, ${at}`, x?.rssMB.query, judgedHere ? '≤ 150' : '(reported)', rss, (v) => fmt(v, 1));
    const paintName = `first paint in Chromium (navigation → first post visible), ms, ${at}`;
    const paintGoal = judgedHere ? '≤ 1,000' : '(reported)';
    if (x?.firstPaintNotRun) out.push({ group: g, name: paintName, value: `not run: ${x.firstPaintNotRun}`, goal: paintGoal, pass: null });
    else add(g, paintName, x?.firstPaintMs, paintGoal, judgedHere ? (v) => v <= 1000 : null);
  }
  // Flat: the largest blog's first page within 2× of the smallest's.
  if (sizes.length >= 2) {
    const small = readPath.find((s) => s.comments === Math.min(...sizes))?.result;
    const large = readPath.find((s) => s.comments === Math.max(...sizes))?.result;
    const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
    const span = `${fmt(Math.max(...sizes))} / ${fmt(Math.min(...sizes))} comments`;
    const times = (v: number) => `${fmt(v, 2)}×`;
    add(g, `flat: first page size, ${span}`, ratio(large?.page.bytes, small?.page.bytes), '≤ 2×', (v) => v <= 2, times);
    add(g, `flat: first page latency p99, ${span}`, ratio(large?.page.latencyMs.p99, small?.page.latencyMs.p99), '≤ 2×', (v) => v <= 2, times);
  }
}
