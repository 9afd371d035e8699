/**
 * Every table of a run as a head and rows of cells, for the terminal and for the page: the end-to-end runs against
 * clients, the bus beside JetStream, the read path against the blog's size, what watching it costs.
 */
import { cpuByRole, type E2EResult } from './e2e';
import { fmt } from './format';
import { medianOf } from './goals';
import { OBSERVABILITY_MODES } from './observability';
import type { PublishFigures } from './publishers';
import type { ReadPathResult } from './read-path';
import type { BenchResults } from './results';

/** One column: what it measured, or why it has nothing. */
interface Column {
  publish?: PublishFigures & { serverCpu: number; publishersCpu: number };
  missing: string;
  onDisk: string;
}

type Results = Pick<BenchResults, 'e2e' | 'bus' | 'busSigned' | 'catchUp' | 'jetStream' | 'sizes'>;

/** The first line of why a part has no figures. */
const why = (error: string | undefined, notRun?: string) => (notRun ? `not run: ${notRun}` : `failed: ${(error ?? '').split('\n')[0]}`);

/** One row per figure; a column without figures says why in its first row and is empty below. */
function rows(columns: Column[], figures: Array<[string, (c: NonNullable<Column['publish']>) => string]>): string[][] {
  return figures.map(([name, show], i) => [name, ...columns.map((c) => (c.publish ? show(c.publish) : i === 0 ? c.missing : ''))]);
}

export const publishHead = (r: Results) => [
  `${fmt(r.sizes.busEvents)} publishes, ${r.sizes.busPublishers} publishers`,
  ...['bus, open', 'bus, signed', 'JetStream R1', 'JetStream R3', 'SDK on JetStream R1'],
];

/** Publish throughput and latency of the bus (open and signed), raw JetStream on one and three servers, and the SDK on one. */
export function publishRows(r: Results): string[][] {
  const js = r.jetStream;
  const bus = (b: Results['bus']): Column => ({
    publish: b.result && { ...b.result, serverCpu: b.result.cpuSeconds.bus, publishersCpu: b.result.cpuSeconds.publishers },
    missing: why(b.error),
    onDisk: 'yes: O_DSYNC, group commit',
  });
  // nats-server older than 2.10 cannot fsync each write (no sync_interval); it fsyncs every 2 minutes.
  const fsync = js.server?.syncAlways ? 'yes: fsync each write' : 'no: fsync every 2 min';
  const jet = (p: BenchResults['jetStream']['r1'], onDisk: string): Column => ({
    publish: p.result && { ...p.result, serverCpu: p.result.cpuSeconds.server, publishersCpu: p.result.cpuSeconds.publishers },
    missing: why(p.error, js.notRun),
    onDisk,
  });
  const columns = [bus(r.bus), bus(r.busSigned), jet(js.r1, fsync), jet(js.r3, `${fsync}; on 2 of 3 servers`), jet(js.sdk, fsync)];
  return [
    ...rows(columns, [
      ['events/s', (p) => fmt(p.perSecond)],
      ['latency p50, ms', (p) => fmt(p.latencyMs.p50, 1)],
      ['latency p99, ms', (p) => fmt(p.latencyMs.p99, 1)],
      ['latency max, ms', (p) => fmt(p.latencyMs.max, 1)],
      ['errors', (p) => fmt(p.errors)],
      ['server CPU, s (wall s)', (p) => `${fmt(p.serverCpu, 2)} (${fmt(p.seconds, 2)})`],
      ['publishers CPU, s', (p) => fmt(p.publishersCpu, 2)],
    ]),
    ['flushed to disk before the acknowledgement', ...columns.map((c) => (c.publish ? c.onDisk : ''))],
  ];
}

export function catchUpHead(r: Results): string[] {
  return [`catch-up, ${fmt(r.sizes.catchUpEvents)} events`, 'bus', 'JetStream R1'];
}

/** query catching up from the bus's log file and from a JetStream stream of the same events. */
export function catchUpRows(r: Results): string[][] {
  const bus = r.catchUp.result;
  const js = r.jetStream.catchUp.result;
  const cell = (value: number | undefined, digits: number, missing: string, first: boolean) =>
    value === undefined ? (first ? missing : '') : fmt(value, digits);
  const busMissing = why(r.catchUp.error);
  const jsMissing = why(r.jetStream.catchUp.error, r.jetStream.notRun);
  const row = (name: string, digits: number, fromBus: number | undefined, fromJs: number | undefined, first = false) => [
    name,
    cell(fromBus, digits, busMissing, first),
    cell(fromJs, digits, jsMissing, first),
  ];
  return [
    row('query ready after start, s', 2, bus?.readySeconds, js?.readySeconds, true),
    row('first GET /posts, ms', 0, bus?.firstGetPostsMs, js?.firstGetPostsMs),
    row('query RSS, MB', 1, bus?.rssMB.query, js?.rssMB.query),
    row('bus / nats-server RSS, MB', 1, bus?.rssMB.bus, js?.rssMB.server),
    row('log on disk, MB', 1, bus?.logMB, js?.storeMB),
  ];
}

export function e2eHead(r: Results): string[] {
  return [`end to end, ${r.sizes.judgedClients} clients, through the ingress`, 'bus', 'JetStream R3, two per backend', 'JetStream / bus'];
}

/** The judged end-to-end run on the bus beside the same run on JetStream R3 with two processes of each backend; the ratio where it says something. */
export function e2eRows(r: Results): string[][] {
  const judged = r.e2e.find((e) => e.clients === r.sizes.judgedClients);
  const js = r.jetStream;
  const sides: Array<{ run?: E2EResult; missing: string }> = [
    { run: judged?.result, missing: judged ? why(judged.error) : `not run: no ${r.sizes.judgedClients}-client run` },
    { run: js.e2e?.result, missing: js.e2e ? why(js.e2e.error, js.notRun) : js.notRun ? why(undefined, js.notRun) : 'not run' },
  ];
  const cpuTotal = (e: E2EResult) => Object.values(e.cpuSeconds).reduce((sum, s) => sum + s, 0);
  const figures: Array<[string, (e: E2EResult) => number, number, boolean]> = [
    ['settled comments/s', (e) => e.settledPerSecond, 0, true],
    ['write latency p50, ms', (e) => e.latencyMs.p50, 1, true],
    ['write latency p90, ms', (e) => e.latencyMs.p90, 1, true],
    ['write latency p99, ms', (e) => e.latencyMs.p99, 1, true],
    ['write latency max, ms', (e) => e.latencyMs.max, 1, true],
    ['write s', (e) => e.writeSeconds, 2, true],
    ['settled after the last write, s', (e) => e.settleSeconds, 2, false],
    ['errors', (e) => e.errors, 0, false],
    ['lost', (e) => e.lost, 0, false],
    ['duplicated', (e) => e.duplicated, 0, false],
    ['wrong or still pending status', (e) => e.wrongStatus + e.stillPending, 0, false],
    ['warm-up write latency p99, ms', (e) => e.warmup.latencyMs.p99, 1, true],
    ['start to ready, s', (e) => e.startSeconds, 2, true],
    ['processes: services, and the bus or NATS nodes', (e) => cpuByRole(e).processes, 0, false],
    ['CPU s, the services (every replica)', (e) => cpuByRole(e).services, 2, true],
    ['CPU s, event bus / NATS nodes', (e) => cpuByRole(e).log, 2, true],
    ['CPU s, load clients', (e) => cpuByRole(e).load, 2, false],
    ['CPU s, launcher and ingress', (e) => cpuByRole(e).launcher, 2, false],
    ['CPU s, all processes', cpuTotal, 2, true],
  ];
  return figures.map(([name, of, digits, compared], i) => {
    const [bus, jet] = sides.map((side) => (side.run ? of(side.run) : undefined));
    const cell = (value: number | undefined, missing: string) => (value === undefined ? (i === 0 ? missing : '') : fmt(value, digits));
    const ratio = compared && bus !== undefined && jet !== undefined && bus !== 0 ? `${fmt(jet / bus, 2)}×` : '';
    return [name, cell(bus, sides[0].missing), cell(jet, sides[1].missing), ratio];
  });
}

export const SCALING_HEAD = [
  'clients',
  'p50 ms',
  'p90 ms',
  'p99 ms (goal ≤ 100)',
  'max ms',
  'settled/s (goal ≥ 400)',
  'write s',
  'settle s (goal ≤ 1)',
  'errors',
  'lost',
];

/** One row per end-to-end run (a failed one says why), under SCALING_HEAD. */
export function scalingRows(e2e: BenchResults['e2e']): string[][] {
  return e2e.map(({ clients, result: r, error }) =>
    r
      ? [
          String(clients),
          fmt(r.latencyMs.p50, 1),
          fmt(r.latencyMs.p90, 1),
          fmt(r.latencyMs.p99, 1),
          fmt(r.latencyMs.max, 1),
          fmt(r.settledPerSecond),
          fmt(r.writeSeconds, 2),
          fmt(r.settleSeconds, 2),
          fmt(r.errors),
          fmt(r.lost),
        ]
      : [String(clients), `failed: ${(error ?? '').split('\n')[0]}`, '', '', '', '', '', '', '', ''],
  );
}

type ReadPathRun = Pick<BenchResults, 'readPath'>;

export function readPathHead(r: ReadPathRun): string[] {
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

export function readPathRows(r: ReadPathRun): string[][] {
  const sizes = r.readPath ?? [];
  return ROWS.map(([name, cell]) => [name, ...sizes.map((s) => (s.result ? cell(s.result) : 'failed'))]);
}

/** Why a size failed, or why first paint did not run: one line each, for under the table. */
export function readPathNotes(r: ReadPathRun): string[] {
  return (r.readPath ?? []).flatMap((s) => {
    const at = `${fmt(s.comments)} comments`;
    if (s.error) return [`${at}: failed: ${s.error}`];
    if (s.result?.firstPaintNotRun) return [`${at}: first paint not run: ${s.result.firstPaintNotRun}`];
    return [];
  });
}

export const OBSERVABILITY_HEAD = ['mode', 'settled/s, each run', 'settled/s, median', 'of off', 'write p99, ms, median'];

export function observabilityRows(r: Pick<BenchResults, 'observability'>): string[][] {
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
