/** Every table of a run, shared by the terminal and the page. */
import { cpuByRole, type E2EResult } from './e2e';
import { fmt } from './format';
import { medianOf, stateSize } from './goals';
import { OBSERVABILITY_MODES } from './observability';
import type { PublishFigures } from './publishers';
import type { ReadPathResult } from './read-path';
import type { BenchResults, Figure, Outcome } from './results';
import { BACKENDS, HOMES, type StateResult } from './state';

/** A head and rows of cells; the columns `right` names are right-aligned (default: every one but the first). */
export interface Table {
  head: string[];
  rows: string[][];
  right?: number[];
}

export const isRight = (t: Table, i: number) => (t.right ? t.right.includes(i) : i > 0);

/** What one column measured, or why it has nothing. */
type Column<T> = { value?: T; missing: string };

/** A row per figure, a column per part; a column without a value says why in its first row and is empty below. */
function byColumn<T>(columns: Array<Column<T>>, figures: Array<[string, (x: T) => string]>): string[][] {
  return figures.map(([name, show], i) => [name, ...columns.map((c) => (c.value !== undefined ? show(c.value) : i === 0 ? c.missing : ''))]);
}

/** The first line of why a part has no figures. */
const why = (error: string | undefined, notRun?: string) => (notRun ? `not run: ${notRun}` : `failed: ${(error ?? '').split('\n')[0]}`);

/** The figures beside their goals, each group named once; `strong` marks a group and a miss (bold on the page). */
export function figuresTable(figures: Figure[], strong = (s: string) => s): Table {
  const rows = figures.map((f, i) => [
    i > 0 && figures[i - 1].group === f.group ? '' : strong(f.group),
    f.name,
    f.value,
    f.goal,
    f.pass === null ? '' : f.pass ? 'PASS' : strong('MISS'),
  ]);
  return { head: ['', 'figure', 'measured', 'goal', ''], rows, right: [2] };
}

/** Publish throughput and latency of the bus (open and signed), raw JetStream on one and three servers, and the SDK on one. */
export function publishTable(r: BenchResults): Table {
  type Publish = PublishFigures & { serverCpu: number; publishersCpu: number; onDisk: string };
  const js = r.jetStream;
  const bus = (b: BenchResults['bus']): Column<Publish> => ({
    value: b.result && { ...b.result, serverCpu: b.result.cpuSeconds.bus, publishersCpu: b.result.cpuSeconds.publishers, onDisk: 'yes: O_DSYNC, group commit' },
    missing: why(b.error),
  });
  // nats-server older than 2.10 cannot fsync each write (no sync_interval); it fsyncs every 2 minutes.
  const fsync = js.server?.syncAlways ? 'yes: fsync each write' : 'no: fsync every 2 min';
  const jet = (p: BenchResults['jetStream']['r1'], onDisk: string): Column<Publish> => ({
    value: p.result && { ...p.result, serverCpu: p.result.cpuSeconds.server, publishersCpu: p.result.cpuSeconds.publishers, onDisk },
    missing: why(p.error, js.notRun),
  });
  const columns = [bus(r.bus), bus(r.busSigned), jet(js.r1, fsync), jet(js.r3, `${fsync}; on 2 of 3 servers`), jet(js.sdk, fsync)];
  return {
    head: [
      `${fmt(r.sizes.busEvents)} publishes, ${r.sizes.busPublishers} publishers`,
      'bus, open',
      'bus, signed',
      'JetStream R1',
      'JetStream R3',
      'SDK on JetStream R1',
    ],
    rows: byColumn(columns, [
      ['events/s', (p) => fmt(p.perSecond)],
      ['latency p50, ms', (p) => fmt(p.latencyMs.p50, 1)],
      ['latency p99, ms', (p) => fmt(p.latencyMs.p99, 1)],
      ['latency max, ms', (p) => fmt(p.latencyMs.max, 1)],
      ['errors', (p) => fmt(p.errors)],
      ['server CPU, s (wall s)', (p) => `${fmt(p.serverCpu, 2)} (${fmt(p.seconds, 2)})`],
      ['publishers CPU, s', (p) => fmt(p.publishersCpu, 2)],
      ['flushed to disk before the acknowledgement', (p) => p.onDisk],
    ]),
  };
}

export function catchUpTable(r: BenchResults): Table {
  type CatchUp = { readySeconds: number; firstGetPostsMs: number; queryMB: number; logHolderMB: number; diskMB: number };
  const bus = r.catchUp.result;
  const js = r.jetStream.catchUp.result;
  const columns: Array<Column<CatchUp>> = [
    { value: bus && { ...bus, queryMB: bus.rssMB.query, logHolderMB: bus.rssMB.bus, diskMB: bus.logMB }, missing: why(r.catchUp.error) },
    {
      value: js && { ...js, queryMB: js.rssMB.query, logHolderMB: js.rssMB.server, diskMB: js.storeMB },
      missing: why(r.jetStream.catchUp.error, r.jetStream.notRun),
    },
  ];
  return {
    head: [`catch-up, ${fmt(r.sizes.catchUpEvents)} events`, 'bus', 'JetStream R1'],
    rows: byColumn(columns, [
      ['query ready after start, s', (c) => fmt(c.readySeconds, 2)],
      ['first GET /posts, ms', (c) => fmt(c.firstGetPostsMs)],
      ['query RSS, MB', (c) => fmt(c.queryMB, 1)],
      ['bus / nats-server RSS, MB', (c) => fmt(c.logHolderMB, 1)],
      ['log on disk, MB', (c) => fmt(c.diskMB, 1)],
    ]),
  };
}

/** An end-to-end run's figures: name, value, decimals, and whether a ratio of two runs says something. */
const E2E_FIGURES: Array<[string, (e: E2EResult) => number, number, boolean]> = [
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
  ['CPU s, all processes', (e) => Object.values(e.cpuSeconds).reduce((sum, s) => sum + s, 0), 2, true],
];

const e2eRows = (columns: Array<Column<E2EResult>>) =>
  byColumn(
    columns,
    E2E_FIGURES.map(([name, of, digits]) => [name, (e) => fmt(of(e), digits)]),
  );

export function scalingTable(e2e: BenchResults['e2e']): Table {
  const columns = e2e.map(({ result, error }) => ({ value: result, missing: why(error) }));
  return { head: ['end to end, through the ingress', ...e2e.map((e) => `${e.clients} clients`)], rows: e2eRows(columns) };
}

/** The judged end-to-end run on the bus beside the same run on JetStream R3 with two processes of each backend; the ratio where it says something. */
export function e2eTable(r: BenchResults): Table {
  const judged = r.e2e.find((e) => e.clients === r.sizes.judgedClients);
  const js = r.jetStream;
  const [bus, jet] = [judged?.result, js.e2e.result];
  const rows = e2eRows([
    { value: bus, missing: judged ? why(judged.error) : `not run: no ${r.sizes.judgedClients}-client run` },
    { value: jet, missing: why(js.e2e.error, js.notRun) },
  ]);
  rows.forEach((row, i) => {
    const [, of, , compared] = E2E_FIGURES[i];
    row.push(compared && bus && jet && of(bus) !== 0 ? `${fmt(of(jet) / of(bus), 2)}×` : '');
  });
  return { head: [`end to end, ${r.sizes.judgedClients} clients, through the ingress`, 'bus', 'JetStream R3, two per backend', 'JetStream / bus'], rows };
}

export function readPathTable(r: BenchResults): Table {
  const sizes = r.readPath ?? [];
  return {
    head: ['figure', ...sizes.map((s) => `${fmt(s.comments)} comments`)],
    rows: byColumn<ReadPathResult>(
      sizes.map((s) => ({ value: s.result, missing: 'failed' })),
      [
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
      ],
    ),
  };
}

/** Why a size failed, or why first paint did not run: one line each, for under the table. */
export function readPathNotes(r: BenchResults): string[] {
  return (r.readPath ?? []).flatMap((s) => {
    const at = `${fmt(s.comments)} comments`;
    if (s.error) return [`${at}: failed: ${s.error}`];
    if (s.result?.firstPaintNotRun) return [`${at}: first paint not run: ${s.result.firstPaintNotRun}`];
    return [];
  });
}

export function observabilityTable(r: BenchResults): Table {
  const table: Table = { head: ['mode', 'settled/s, each run', 'settled/s, median', 'of off', 'write p99, ms, median'], rows: [], right: [2, 3, 4] };
  const x = r.observability?.result;
  if (!x) return table;
  const off = medianOf(x.runs.off).settledPerSecond;
  table.rows = OBSERVABILITY_MODES.map((mode) => {
    const runs = x.runs[mode];
    const median = medianOf(runs);
    const ofOff = off ? `${fmt(median.settledPerSecond / off, 2)}×` : '–';
    return [mode, runs.map((e) => fmt(e.settledPerSecond)).join(', '), fmt(median.settledPerSecond), ofOff, fmt(median.p99, 1)];
  });
  return table;
}

/** Each home at each blog size side by side, a row per figure, the goal beside (judged at the largest blog, see the figures). */
export function stateTable(r: BenchResults): Table {
  const runs = HOMES.flatMap((home) => r.sizes.stateComments[home].map((comments) => ({ comments, home })))
    .sort((a, b) => a.comments - b.comments)
    .map(({ comments, home }) => ({ comments, home, run: r.state?.runs.find((x) => x.home === home && x.comments === comments) }));
  const columns = runs.map(({ home, run }) => ({
    value: run?.result,
    missing: home === 'PostgreSQL' && r.state?.postgresNotRun ? `not run: ${r.state.postgresNotRun}` : why(run?.error ?? 'not run'),
  }));
  const mb = (v: number) => fmt(v, 1);
  const [rssBase, resumeBase] = r.sizes.stateComments.embedded;
  type Row = [string, (x: StateResult) => string, string];
  const figures: Row[] = [
    ['log on disk, MB', (x) => mb(x.logMB), ''],
    ['system start, every backend building its state from the log, s', (x) => fmt(x.buildSeconds, 2), ''],
    ...BACKENDS.map((b): Row => [`${b}: first build, events/s (four at once)`, (x) => fmt(x.buildEventsPerSecond[b]), '']),
    ['query rebuilt alone (POST /rebuild), events/s', (x) => fmt(x.rebuildEventsPerSecond), '≥ 20,000 (embedded)'],
    ["query SIGKILLed: its new process's spawn → ready, s", (x) => fmt(x.resumeSeconds, 3), `≤ 1; ≤ 1.5× at ${stateSize(r, resumeBase)}`],
    ['its log says "resumed at seq"', (x) => (x.resumedLogged ? 'yes' : 'no'), 'yes'],
    ...BACKENDS.map((b): Row => [`${b} RSS after resuming, MB`, (x) => mb(x.rssMB[b]), `≤ 120; ≤ 1.3× at ${fmt(rssBase)} comments`]),
    ...BACKENDS.map((b): Row => [`${b} db_size_bytes, MB`, (x) => mb(x.dbMB[b]), '']),
    ['first page p50, ms', (x) => fmt(x.page.latencyMs.p50, 1), ''],
    ['first page p99, ms', (x) => fmt(x.page.latencyMs.p99, 1), '≤ 20'],
    ['first page errors', (x) => `${fmt(x.page.errors)} of ${fmt(x.page.requests)}`, '0'],
  ];
  const rows = byColumn(
    columns,
    figures.map(([name, show]) => [name, show]),
  );
  return {
    head: ['state in a database', ...runs.map(({ comments, home }) => `${fmt(comments)} comments, ${home}`), 'goal at the largest'],
    rows: rows.map((row, i) => [...row, figures[i][2]]),
    right: runs.map((_, i) => i + 1),
  };
}

/** The judged end-to-end run on each home against E/8, E measured in the same run. */
export function ceilingTable(r: BenchResults): Table {
  const e = r.expressCeiling?.result?.perCpuSecond;
  const runs: Array<[string, Outcome<E2EResult> & { notRun?: string }]> = [
    ['embedded', r.e2e.find((x) => x.clients === r.sizes.judgedClients) ?? {}],
    ['PostgreSQL', r.e2ePostgres ?? {}],
  ];
  const columns = runs.map(([, o]) => ({ value: o.result, missing: why(o.error, o.notRun) }));
  return {
    head: [`end to end, ${r.sizes.judgedClients} clients`, ...runs.map(([home]) => home), 'goal'],
    rows: byColumn(columns, [
      ['settled comments/s', (x) => fmt(x.settledPerSecond)],
      ['write latency p99, ms', (x) => fmt(x.latencyMs.p99, 1)],
      ['E: a bare Express process, POSTs per CPU second', () => (e ? fmt(e) : why(r.expressCeiling?.error))],
      ['settled / (E/8)', (x) => (e ? `${fmt(x.settledPerSecond / (e / 8), 2)}×` : '–')],
    ]).map((row, i) => [...row, i === 3 ? '≥ 0.8×' : '']),
    right: [1, 2],
  };
}
