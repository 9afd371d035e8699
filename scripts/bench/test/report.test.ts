import { figuresOf } from '../src/goals';
import { benchmarksMd } from '../src/report-markdown';
import { chartSvg } from '../src/report-svg';
import { figuresText, scalingText, transportsText } from '../src/report-text';
import { results } from './results';

const judged = () => {
  const r = results();
  return { ...r, figures: figuresOf(r) };
};

test('the terminal tables: one line per figure, a column per run, a failed run with its first line', () => {
  const r = judged();
  const figures = figuresText(r.figures).split('\n');
  expect(figures).toHaveLength(r.figures.length + 1);
  expect(figures.find((l) => l.includes('publish throughput'))).toMatch(/4,000\s+≥ 5,000\s+MISS$/);
  const scaling = scalingText(r.e2e).split('\n');
  expect(scaling[0]).toMatch(/^end to end, through the ingress\s+10 clients\s+50 clients\s+100 clients$/);
  expect(scaling[1]).toMatch(/^settled comments\/s\s+1,002\s+1,743\s+failed: not ready after 60s: query$/);
  expect(scaling).toContainEqual(expect.stringMatching(/^write latency p99, ms\s+24\.0\s+59\.2$/));
});

test('the page: the verdict, every figure, and the profile section of the current page kept as it is', () => {
  const existing = 'old page\n<!-- profile:start -->\nhand-written findings\n<!-- profile:end -->\nold tail\n';
  const page = benchmarksMd(judged(), existing);
  expect(page).toMatch(/^# Benchmarks\n/);
  expect(page).toContain('**17 of 19 goals met.**');
  expect(page).toContain('| **Bus, 50 publishers, log on disk** | publish throughput, events/s | 4,000 | ≥ 5,000 | **MISS** |');
  expect(page).toContain('<!-- profile:start -->\nhand-written findings\n<!-- profile:end -->\n');
  expect(page).not.toContain('old tail');
  expect(benchmarksMd(judged(), undefined)).toContain('<!-- profile:start -->\n<!-- profile:end -->');
});

test('the chart: an SVG with a line per latency percentile and one for throughput', () => {
  const svg = chartSvg(judged());
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*<\/svg>\n$/);
  expect(svg.match(/<path /g)).toHaveLength(4);
  expect(svg).toContain('goal: p99 ≤ 100 ms');
});

test('the bus beside JetStream: a column per transport, a row per figure, in the terminal and on the page', () => {
  const r = judged();
  const text = transportsText(r).split('\n');
  expect(text[0]).toMatch(/^2,000 publishes, 50 publishers\s+bus, open\s+bus, signed\s+JetStream R1\s+JetStream R3\s+SDK on JetStream R1$/);
  expect(text[1]).toMatch(/^events\/s\s+4,000\s+3,600\s+6,000\s+3,000\s+5,400$/);
  expect(text).toContainEqual(expect.stringMatching(/^query ready after start, s\s+0\.30\s+0\.90$/));

  const page = benchmarksMd(r, undefined);
  expect(page).toContain('| 2,000 publishes, 50 publishers | bus, open | bus, signed | JetStream R1 | JetStream R3 | SDK on JetStream R1 |\n| --- | ---: |');
  expect(page).toContain('| latency p99, ms | 20.0 | 20.0 | 12.0 | 30.0 | 14.0 |');
  expect(page).toContain('| flushed to disk before the acknowledgement | yes: O_DSYNC, group commit | yes: O_DSYNC, group commit | no: fsync every 2 min |');
  expect(page).toContain('| query ready after start, s | 0.30 | 0.90 |');
  expect(page).toContain('JetStream is nats-server 2.9.10, which acknowledges writes it has not fsynced yet');
});

test('end to end on the bus beside JetStream R3: a column each and the ratio, in the terminal and on the page', () => {
  const r = judged();
  const text = transportsText(r).split('\n');
  expect(text).toContainEqual(expect.stringMatching(/^end to end, 50 clients, through the ingress\s+bus\s+JetStream R3, two per backend\s+JetStream \/ bus$/));
  expect(text).toContainEqual(expect.stringMatching(/^settled comments\/s\s+1,743\s+1,100\s+0\.63×$/));
  expect(text).toContainEqual(expect.stringMatching(/^write latency p99, ms\s+59\.2\s+80\.0\s+1\.35×$/));
  expect(text).toContainEqual(expect.stringMatching(/^lost\s+0\s+0$/));

  const page = benchmarksMd(r, undefined);
  expect(page).toContain(
    '| end to end, 50 clients, through the ingress | bus | JetStream R3, two per backend | JetStream / bus |\n| --- | ---: | ---: | ---: |',
  );
  expect(page).toContain('| settled comments/s | 1,743 | 1,100 | 0.63× |');
  expect(page).toContain('| write latency p99, ms | 59.2 | 80.0 | 1.35× |');
  // Every replica and every NATS node counted: nine service processes and three nodes against the bus's two processes here.
  expect(page).toContain('| processes: services, and the bus or NATS nodes | 2 | 12 |  |');
  expect(page).toContain('| CPU s, the services (every replica) | 0.60 | 1.70 | 2.83× |');
  expect(page).toContain('| CPU s, event bus / NATS nodes | 0.30 | 1.30 | 4.33× |');
  expect(page).toContain('| CPU s, all processes | 1.35 | 3.80 | 2.81× |');
  // The per-process CPU of each run, the JetStream one pod by pod.
  expect(page).toContain('CPU seconds per process during the 50-client run on the bus (');
  expect(page).toContain('CPU seconds per process during the 50-client run on JetStream R3, two processes per backend (');
  expect(page).toMatch(/\| nats-0 \| 0\.50 \| 39 % \|\n[^]*\| posts-1 \| 0\.10 \| 8 % \|/);
});

test('end to end on JetStream that failed or did not run: its column says why, once', () => {
  const r = results();
  r.jetStream.e2e = { error: 'not ready after 60s: nats\nrecent logs: …' };
  let page = benchmarksMd({ ...r, figures: figuresOf(r) }, undefined);
  expect(page).toContain('| settled comments/s | 1,743 | failed: not ready after 60s: nats |  |\n| write latency p50, ms | 14.8 |  |  |');
  expect(page).not.toContain('on JetStream R3, two processes per backend (first comment');

  r.jetStream = { notRun: 'nats-server not installed', r1: {}, r3: {}, sdk: {}, catchUp: {}, e2e: {} };
  page = benchmarksMd({ ...r, figures: figuresOf(r) }, undefined);
  expect(page).toContain('| settled comments/s | 1,743 | not run: nats-server not installed |  |');
});

test('the bus beside JetStream without nats-server: each JetStream column says why, once', () => {
  const r = results();
  r.jetStream = { notRun: 'nats-server not installed', r1: {}, r3: {}, sdk: {}, catchUp: {}, e2e: {} };
  const page = benchmarksMd({ ...r, figures: figuresOf(r) }, undefined);
  const notRun = 'not run: nats-server not installed';
  expect(page).toContain(`| events/s | 4,000 | 3,600 | ${notRun} | ${notRun} | ${notRun} |\n| latency p50, ms | 5.0 | 5.0 |  |  |  |`);
  expect(page).toContain(`| query ready after start, s | 0.30 | ${notRun} |\n| first GET /posts, ms | 34 |  |`);
  expect(page).toContain('JetStream was not run: nats-server not installed');
  expect(page).toContain('**14 of 15 goals met.**');
});
