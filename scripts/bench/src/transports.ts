/** The hand-written bus and JetStream side by side, as tables for the terminal and for the page. */
import { cpuByRole, type E2EResult } from './e2e';
import { fmt } from './format';
import type { PublishFigures } from './publishers';
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

export function publishHead(r: Results): string[] {
  return [
    `${fmt(r.sizes.busEvents)} publishes, ${r.sizes.busPublishers} publishers`,
    'bus, open',
    'bus, signed',
    'JetStream R1',
    'JetStream R3',
    'SDK on JetStream R1',
  ];
}

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
