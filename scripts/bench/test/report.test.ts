import { figuresOf } from '../src/goals';
import { benchmarksMd } from '../src/report-markdown';
import { chartSvg } from '../src/report-svg';
import { figuresText, scalingText, transportsText } from '../src/report-text';
import { results } from './results';

const judged = () => {
  const r = results();
  return { ...r, figures: figuresOf(r) };
};

test('the terminal tables: one line per figure and per run, a failed run with its first line', () => {
  const r = judged();
  const figures = figuresText(r.figures).split('\n');
  expect(figures).toHaveLength(r.figures.length + 1);
  expect(figures.find((l) => l.includes('publish throughput'))).toMatch(/4,000\s+≥ 5,000\s+MISS$/);
  expect(scalingText(r.e2e).split('\n').at(-1)).toMatch(/^\s*100\s+failed: not ready after 60s: query\s*$/);
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
  expect(page).toContain(
    '| flushed to disk before the acknowledgement | yes: fdatasync, group commit | yes: fdatasync, group commit | no: fsync every 2 min |',
  );
  expect(page).toContain('| query ready after start, s | 0.30 | 0.90 |');
  expect(page).toContain('JetStream is nats-server 2.9.10, which acknowledges writes it has not fsynced yet');
});

test('the bus beside JetStream without nats-server: each JetStream column says why, once', () => {
  const r = results();
  r.jetStream = { notRun: 'nats-server not installed', r1: {}, r3: {}, sdk: {}, catchUp: {} };
  const page = benchmarksMd({ ...r, figures: figuresOf(r) }, undefined);
  const notRun = 'not run: nats-server not installed';
  expect(page).toContain(`| events/s | 4,000 | 3,600 | ${notRun} | ${notRun} | ${notRun} |\n| latency p50, ms | 5.0 | 5.0 |  |  |  |`);
  expect(page).toContain(`| query ready after start, s | 0.30 | ${notRun} |\n| first GET /posts, ms | 34 |  |`);
  expect(page).toContain('JetStream was not run: nats-server not installed');
  expect(page).toContain('**14 of 15 goals met.**');
});
