/** The hand-written bus and JetStream side by side, as tables for the terminal and for the page. */
import { fmt } from './format';
import type { PublishFigures } from './publishers';
import type { BenchResults } from './results';

/** One column: what it measured, or why it has nothing. */
interface Column {
  publish?: PublishFigures & { serverCpu: number; publishersCpu: number };
  missing: string;
  onDisk: string;
}

type Results = Pick<BenchResults, 'bus' | 'busSigned' | 'catchUp' | 'jetStream' | 'sizes'>;

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
    onDisk: 'yes: fdatasync, group commit',
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
