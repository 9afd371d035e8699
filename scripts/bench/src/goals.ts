/** The goals: each figure of a run beside its goal, and whether it met it. */
import { fmt } from './format';
import type { BenchResults, Figure } from './results';
import type { E2EResult } from './e2e';
import { WARMUP_COMMENTS } from './sizes';
import { BACKENDS, HOMES, type StateResults } from './state';

/** A goal as the page shows it, and its test; `pass: null` for a figure only reported. */
type Goal = { goal: string; pass: ((v: number) => boolean) | null };
const zero: Goal = { goal: '0', pass: (v) => v === 0 };
const reported: Goal = { goal: '(reported)', pass: null };
const atMost = (limit: number, shown = fmt(limit)): Goal => ({ goal: `≤ ${shown}`, pass: (v) => v <= limit });
const atLeast = (limit: number, shown = fmt(limit)): Goal => ({ goal: `≥ ${shown}`, pass: (v) => v >= limit });
const times = (v: number) => `${fmt(v, 2)}×`;
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !b ? undefined : a / b);

/** Adds a figure: missing or NaN (its part failed) it shows 'failed' and misses its goal; with `notRun` it says why, not judged. */
type Add = (group: string, name: string, value: number | undefined, goal: Goal, show?: number | ((v: number) => string), notRun?: string) => void;

/** Every figure of a run beside its goal; a part of the bench that failed misses each goal it had. */
export function figuresOf(r: BenchResults): Figure[] {
  const out: Figure[] = [];
  const add: Add = (group, name, value, { goal, pass }, show = 0, notRun) => {
    if (notRun) return void out.push({ group, name, value: `not run: ${notRun}`, goal, pass: null });
    const failed = value === undefined || Number.isNaN(value);
    const shown = failed ? 'failed' : typeof show === 'number' ? fmt(value, show) : show(value);
    out.push({ group, name, value: shown, goal, pass: failed ? (pass ? false : null) : pass && pass(value) });
  };

  const judged = r.e2e.find((e) => e.clients === r.sizes.judgedClients)?.result;
  const g = `End to end, ${r.sizes.judgedClients} clients`;
  add(g, 'errors (non-201 answers)', judged?.errors, zero);
  add(g, 'lost (accepted, never in GET /posts)', judged?.lost, zero);
  add(g, 'duplicated in GET /posts', judged?.duplicated, zero);
  add(g, 'wrong or still pending status', judged ? judged.wrongStatus + judged.stillPending : undefined, zero);
  add(g, 'settled throughput, comments/s', judged?.settledPerSecond, atLeast(400));
  add(g, 'write latency p99, ms', judged?.latencyMs.p99, atMost(100), 1);
  add(g, `write latency p99 of the ${fmt(WARMUP_COMMENTS)} warm-up comments right after start, ms`, judged?.warmup?.latencyMs.p99, reported, 1);
  add(g, 'settled after the last write, s', judged?.settleSeconds, atMost(1), 2);

  const bus = r.bus.result;
  const b = `Bus, ${r.sizes.busPublishers} publishers, log on disk`;
  add(b, 'publish throughput, events/s', bus?.perSecond, atLeast(5000));
  add(b, 'errors', bus?.errors, zero);
  add(b, 'acknowledged but not in the file after SIGKILL', bus ? bus.missingOnDisk + bus.outOfOrder : undefined, zero);
  add(b, 'raw fsync rate of the same disk, /s', bus?.rawFsyncPerSecond, { goal: '(reference)', pass: null });
  add(b, 'publishes per raw fsync (group commit)', bus?.ratio, reported, (v) => `${fmt(v, 1)}×`);

  const c = r.catchUp.result;
  const cg = `Catch-up, ${fmt(r.sizes.catchUpEvents)} events`;
  add(cg, 'query ready after start, s', c?.readySeconds, atMost(5), 2);
  add(cg, 'bus RSS, MB', c?.rssMB.bus, atMost(150), 1);
  add(cg, 'query RSS, MB', c?.rssMB.query, atMost(150), 1);
  const peak = c?.peakRssMB;
  add(cg, 'bus / query peak RSS, MB', peak && Math.max(peak.bus, peak.query), reported, () => `${fmt(peak!.bus, 1)} / ${fmt(peak!.query, 1)}`);

  // Beside the engine: a JetStream figure that could not run (no nats-server here) is not judged.
  const js = r.jetStream;
  const signed = r.busSigned.result;
  const jg = `Bus against JetStream, ${r.sizes.busPublishers} publishers`;
  add(jg, 'signed bus: errors', signed?.errors, zero);
  add(jg, 'signed bus: acknowledged but not in the file after SIGKILL', signed ? signed.missingOnDisk + signed.outOfOrder : undefined, zero);
  const r1 = js.r1.result?.perSecond;
  add(jg, 'publish throughput, signed bus / JetStream R1', ratio(signed?.perSecond, r1), atLeast(1, '1.0×'), times, js.notRun);
  add(jg, 'publish throughput, SDK / raw js.publish on JetStream R1', ratio(js.sdk.result?.perSecond, r1), atLeast(0.8, '0.8×'), times, js.notRun);
  const jsErrors = js.r1.result && js.r3.result && js.sdk.result ? js.r1.result.errors + js.r3.result.errors + js.sdk.result.errors : undefined;
  add(jg, 'JetStream: errors (R1, R3, SDK)', jsErrors, zero, 0, js.notRun);
  add(jg, `query ready after start, ${fmt(r.sizes.catchUpEvents)} events from JetStream R1, s`, js.catchUp.result?.readySeconds, atMost(5), 2, js.notRun);

  // The same end-to-end load on JetStream R3 beside the bus's judged run is compared in its own table, never judged.

  if (r.readPath) readPathFigures(r.readPath, add);
  if (r.observability) observabilityFigures(r.observability, r.sizes.judgedClients, add);
  if (r.state) stateFigures(r, r.state, add);
  return out;
}

/** "N of M goals met": the figures that met their goal, of those judged. */
export const goalsMet = (figures: Figure[]) => `${figures.filter((f) => f.pass === true).length} of ${figures.filter((f) => f.pass !== null).length} goals met`;

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
  const [off, metrics, traces] = x ? [medianOf(x.runs.off), medianOf(x.runs.metrics), medianOf(x.runs['metrics and traces'])] : [];
  const runs = x ? ` (median of ${x.rounds})` : '';
  add(g, `settled throughput, comments/s, metrics off${runs}`, off?.settledPerSecond, reported);
  add(g, `settled throughput, comments/s, metrics on, scraped every 5 s${runs}`, metrics?.settledPerSecond, reported);
  add(g, `settled throughput, comments/s, metrics and traces on${runs}`, traces?.settledPerSecond, reported);
  add(g, 'settled throughput, metrics on / off', ratio(metrics?.settledPerSecond, off?.settledPerSecond), atLeast(0.95, '0.95×'), times);
  add(g, 'settled throughput, metrics and traces on / off', ratio(traces?.settledPerSecond, off?.settledPerSecond), reported, times);
  add(g, 'scrapes of /metrics not answered 200', x?.scrapeErrors, zero, (v) => `${fmt(v)} of ${fmt(x!.scrapes)}`);
  add(g, 'spans the OTLP receiver took', x?.spans, reported);
}

/** The size the read path's memory and first-paint goals are judged at. */
export const READ_PATH_JUDGED_COMMENTS = 100_000;

/** The read path at each blog size, then whether the first page stayed flat from the smallest blog to the largest. */
function readPathFigures(readPath: NonNullable<BenchResults['readPath']>, add: Add) {
  const g = 'Read path';
  const kb = (v: number) => fmt(v / 1024, 1);
  for (const { comments, result: x } of readPath) {
    const at = `${fmt(comments)} comments`;
    const judgedHere = comments === READ_PATH_JUDGED_COMMENTS;
    add(g, `first page (GET /posts/page) size, KB, ${at}`, x?.page.bytes, { goal: '≤ 50', pass: (v) => v <= 50 * 1024 }, kb);
    add(g, `first page latency p50, ms, ${at}`, x?.page.latencyMs.p50, reported, 1);
    add(g, `first page latency p99, ms, ${at}`, x && x.page.errors === 0 ? x.page.latencyMs.p99 : undefined, atMost(20), 1);
    if (x?.pageWarmup) add(g, `first page latency p99 of the warm-up reads right after start, ms, ${at}`, x.pageWarmup.latencyMs.p99, reported, 1);
    const live = x && x.live.missed === 0 ? x.live.latencyMs.p99 : undefined;
    add(g, `live update, comment posted → its event, p99 of ${x ? fmt(x.live.updates) : 'the'} updates, ms, ${at}`, live, atMost(1000), 1);
    add(g, `live update event (SSE frame), bytes, ${at}`, x?.live.frameBytes || undefined, atMost(2048));
    const rss = judgedHere ? atMost(150) : reported;
    add(g, `comments RSS, MB, ${at}`, x?.rssMB.comments, rss, 1);
    add(g, `query RSS, MB, ${at}`, x?.rssMB.query, rss, 1);
    const paint = judgedHere ? atMost(1000) : reported;
    add(g, `first paint in Chromium (navigation → first post visible), ms, ${at}`, x?.firstPaintMs, paint, 0, x?.firstPaintNotRun);
  }
  // Flat: the largest blog's first page within 2× of the smallest's.
  if (readPath.length >= 2) {
    const bySize = [...readPath].sort((a, b) => a.comments - b.comments);
    const [small, large] = [bySize[0], bySize[bySize.length - 1]];
    const span = `${fmt(large.comments)} / ${fmt(small.comments)} comments`;
    add(g, `flat: first page size, ${span}`, ratio(large.result?.page.bytes, small.result?.page.bytes), atMost(2, '2×'), times);
    add(g, `flat: first page latency p99, ${span}`, ratio(large.result?.page.latencyMs.p99, small.result?.page.latencyMs.p99), atMost(2, '2×'), times);
  }
}

/** A blog of `comments` comments in the state section, by its events too. */
export const stateSize = (r: Pick<BenchResults, 'sizes'>, comments: number) =>
  `${fmt(comments)} comments (${fmt(r.sizes.readPathPosts + 3 * comments)} events)`;

/** Each home: query back after a SIGKILL, memory, the first page and a rebuild at the largest blog, each against its base; end to end against E/8. */
function stateFigures(r: BenchResults, state: StateResults, add: Add) {
  const ceiling = r.expressCeiling?.result && r.expressCeiling.result.perCpuSecond / 8;
  const at = (home: string, comments: number) => state.runs.find((x) => x.home === home && x.comments === comments)?.result;
  for (const home of HOMES) {
    const g = `State in a database, ${home}`;
    const [rssBase, resumeBase] = r.sizes.stateComments[home];
    const judged = r.sizes.stateComments[home][r.sizes.stateComments[home].length - 1];
    const notRun = home === 'PostgreSQL' ? state.postgresNotRun : undefined;
    const [x, base, resumed] = [at(home, judged), at(home, rssBase), at(home, resumeBase)];
    const size = stateSize(r, judged);
    add(g, `query SIGKILLed: its new process's spawn → ready, s, ${size}`, x?.resumeSeconds, atMost(1), 3, notRun);
    add(g, `the same, ${size} / ${stateSize(r, resumeBase)}`, ratio(x?.resumeSeconds, resumed?.resumeSeconds), atMost(1.5, '1.5×'), times, notRun);
    const says = { goal: 'yes', pass: (v: number) => v === 1 };
    add(g, `query's log after the SIGKILL says "resumed at seq", ${size}`, x && Number(x.resumedLogged), says, (v) => (v ? 'yes' : 'no'), notRun);
    for (const b of BACKENDS) {
      add(g, `${b} RSS after resuming, MB, ${size}`, x?.rssMB[b], atMost(120), 1, notRun);
      add(g, `${b} RSS, ${fmt(judged)} / ${fmt(rssBase)} comments`, ratio(x?.rssMB[b], base?.rssMB[b]), atMost(1.3, '1.3×'), times, notRun);
    }
    add(g, `first page (GET /posts/page) p99, ms, ${size}`, x && x.page.errors === 0 ? x.page.latencyMs.p99 : undefined, atMost(20), 1, notRun);
    const rebuild = home === 'embedded' ? atLeast(20_000) : reported;
    add(g, `query rebuilt alone (POST /rebuild), events/s, ${size}`, x?.rebuildEventsPerSecond, rebuild, 0, notRun);
    add(
      g,
      `slowest backend's first build from the log (all four at once), events/s, ${size}`,
      x && Math.min(...Object.values(x.buildEventsPerSecond)),
      reported,
      0,
      notRun,
    );
    const e2e = home === 'embedded' ? r.e2e.find((e) => e.clients === r.sizes.judgedClients) : r.e2ePostgres;
    const settled = ratio(e2e?.result?.settledPerSecond, ceiling);
    add(
      g,
      `end to end, settled comments/s at ${r.sizes.judgedClients} clients / (E/8), E = a bare Express process's POSTs per CPU second`,
      settled,
      atLeast(0.8, '0.8×'),
      times,
      notRun,
    );
  }
}
