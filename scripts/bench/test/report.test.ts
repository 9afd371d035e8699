import { figuresOf } from '../src/goals';
import { benchmarksMd } from '../src/report-markdown';
import { chartSvg } from '../src/report-svg';
import { figuresText, scalingText } from '../src/report-text';
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
  expect(page).toContain('**12 of 13 goals met.**');
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
