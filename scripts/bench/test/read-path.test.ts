import { figuresOf } from '../src/goals';
import { percentile } from '@posts/runtime/load';
import { blogLog } from '../src/catch-up';
import { benchmarksMd } from '../src/report-markdown';
import { figuresText, readPathText } from '../src/report-text';
import { readPathSvg } from '../src/report-svg';
import { readPathRun, results, withReadPath } from './results';

const readPathFigures = (r = withReadPath()) => figuresOf(r).filter((f) => f.group === 'Read path');
const figure = (name: string, r = withReadPath()) => readPathFigures(r).find((f) => f.name === name);

test('the read path: each figure at each size beside its goal', () => {
  expect(figure('first page (GET /posts/page) size, KB, 100,000 comments')).toEqual({
    group: 'Read path',
    name: 'first page (GET /posts/page) size, KB, 100,000 comments',
    value: '5.5',
    goal: '≤ 50',
    pass: true,
  });
  expect(figure('first page latency p99, ms, 1,000 comments')).toMatchObject({ value: '9.0', goal: '≤ 20', pass: true });
  expect(figure('first page latency p50, ms, 1,000 comments')).toMatchObject({ value: '5.0', pass: null });
  // The same reads right after start are reported beside it, not judged: the goal is the warm system's, as the end-to-end runs'.
  expect(figure('first page latency p99 of the warm-up reads right after start, ms, 1,000 comments')).toMatchObject({
    value: '22.0',
    goal: '(reported)',
    pass: null,
  });
  expect(figure('live update, comment posted → its event, p99 of 20 updates, ms, 10,000 comments')).toMatchObject({
    value: '40.0',
    goal: '≤ 1,000',
    pass: true,
  });
  expect(figure('live update event (SSE frame), bytes, 10,000 comments')).toMatchObject({ value: '206', goal: '≤ 2,048', pass: true });
});

test('memory and first paint are judged at 100,000 comments and reported below it', () => {
  expect(figure('query RSS, MB, 100,000 comments')).toMatchObject({ value: '180.0', goal: '≤ 150', pass: false });
  expect(figure('comments RSS, MB, 100,000 comments')).toMatchObject({ value: '120.0', goal: '≤ 150', pass: true });
  expect(figure('query RSS, MB, 1,000 comments')).toMatchObject({ value: '90.0', goal: '(reported)', pass: null });
  expect(figure('first paint in Chromium (navigation → first post visible), ms, 100,000 comments')).toMatchObject({
    value: '600',
    goal: '≤ 1,000',
    pass: true,
  });
  expect(figure('first paint in Chromium (navigation → first post visible), ms, 10,000 comments')).toMatchObject({ value: '500', pass: null });
});

test('flat: the largest blog against the smallest, within 2×', () => {
  expect(figure('flat: first page size, 100,000 / 1,000 comments')).toMatchObject({ value: '1.08×', goal: '≤ 2×', pass: true });
  expect(figure('flat: first page latency p99, 100,000 / 1,000 comments')).toMatchObject({ value: '1.22×', pass: true });
  const r = withReadPath();
  r.readPath![2].result = readPathRun(100_000, { p99: 19 });
  expect(figure('flat: first page latency p99, 100,000 / 1,000 comments', r)).toMatchObject({ value: '2.11×', pass: false });
  // Every p99 under 20 ms, but not flat.
  expect(figure('first page latency p99, ms, 100,000 comments', r)).toMatchObject({ pass: true });
});

test('a size that failed misses each goal it had; first paint that could not run is not judged', () => {
  const r = withReadPath();
  r.readPath![2] = { comments: 100_000, error: 'not ready after 180s: query' };
  r.readPath![0].result = readPathRun(1_000, { notRun: 'no Chromium at /usr/bin/chromium' });
  const failed = readPathFigures(r).filter((f) => f.name.endsWith('100,000 comments') || f.name.startsWith('flat'));
  expect(failed.every((f) => f.value === 'failed')).toBe(true);
  expect(failed.filter((f) => f.pass === null).map((f) => f.name)).toEqual(['first page latency p50, ms, 100,000 comments']);
  expect(figure('first paint in Chromium (navigation → first post visible), ms, 1,000 comments', r)).toMatchObject({
    value: 'not run: no Chromium at /usr/bin/chromium',
    pass: null,
  });
  expect(readPathText(r)).toMatch(
    /\n100,000 comments: failed: not ready after 180s: query\n1,000 comments: first paint not run|1,000 comments: first paint not run: no Chromium at \/usr\/bin\/chromium\n100,000 comments: failed/,
  );
});

test('a run without the read path (recorded before it was measured) has no read-path figures', () => {
  expect(readPathFigures(results())).toEqual([]);
  expect(readPathText(results())).toBe('not run');
  expect(benchmarksMd({ ...results(), figures: figuresOf(results()) }, undefined)).toContain(
    "## The read path against the blog's size\n\nNot measured in this run.\n",
  );
});

test('the read path in the terminal and on the page: one row per figure, a column per size', () => {
  const r = withReadPath();
  const judged = { ...r, figures: figuresOf(r) };
  const text = readPathText(r).split('\n');
  expect(text[0]).toMatch(/^figure\s+1,000 comments\s+10,000 comments\s+100,000 comments$/);
  expect(text).toContainEqual(expect.stringMatching(/^first page latency p99, ms\s+9\.0\s+10\.0\s+11\.0$/));
  expect(text).toContainEqual(expect.stringMatching(/^query RSS, MB\s+90\.0\s+110\.0\s+180\.0$/));
  expect(figuresText(judged.figures)).toMatch(/query RSS, MB, 100,000 comments\s+180\.0\s+≤ 150\s+MISS\n/);

  const page = benchmarksMd(judged, undefined);
  expect(page).toContain(
    "## The read path against the blog's size\n\nThe whole system started on a log of N comments over 20 posts, written straight to its data folder",
  );
  expect(page).toContain('| figure | 1,000 comments | 10,000 comments | 100,000 comments |\n| --- | ---: | ---: | ---: |');
  expect(page).toContain('| first page (GET /posts/page), KB | 5.1 | 5.3 | 5.5 |');
  expect(page).toContain('| live update event, bytes | 206 | 206 | 206 |');
  expect(page).toContain('| **Read path** | first page (GET /posts/page) size, KB, 1,000 comments | 5.1 | ≤ 50 | PASS |');
  expect(page).toContain('| | query RSS, MB, 100,000 comments | 180.0 | ≤ 150 | **MISS** |'.replace('| |', '|  |'));
});

test('the log of a blog: every comment with its three events over the posts, seq 1, 2, 3 …', () => {
  const log = blogLog(20, 100);
  expect(log).toHaveLength(20 + 300);
  expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
  expect(new Set(log.filter((e) => e.type === 'CommentCreated').map((e) => (e.data as { postId: string }).postId)).size).toBe(20);
  expect(log.filter((e) => e.type === 'CommentModerated' && (e.data as { status: string }).status === 'rejected')).toHaveLength(20);
});

test('percentile: nearest rank', () => {
  const s = Array.from({ length: 100 }, (_, i) => i + 1);
  expect([percentile(s, 50), percentile(s, 99), percentile([7], 99)]).toEqual([50, 99, 7]);
  expect(percentile([], 50)).toBe(0);
});

test("the read path chart: a panel per figure against the blog's size, each with its goal, a line per series", () => {
  const r = withReadPath();
  const svg = readPathSvg(r);
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*<\/svg>\n$/);
  // page size, page p50, p99 and p99 right after start, first paint, live p50 and p99, live bytes, comments and query RSS
  expect(svg.match(/<path /g)).toHaveLength(10);
  expect(svg).toContain('p99 at start');
  for (const goal of ['goal: ≤ 50 KB', 'goal: p99 ≤ 20 ms', 'goal: ≤ 1 s', 'goal: ≤ 2 KB', 'goal: ≤ 150 MB']) expect(svg).toContain(goal);
  // The sizes on the x axis, and query's RSS at 100,000 comments labelled on its point.
  for (const size of ['1,000', '10,000', '100,000']) expect(svg).toContain(`>${size}</text>`);
  expect(svg).toMatch(/fill="#a63603">180<\/text>/);
  // A size that failed leaves a gap, not a point at zero.
  const failed = { ...r, readPath: [...r.readPath!.slice(0, 2), { comments: 100_000, error: 'not ready' }] };
  expect(svg.match(/<circle [^>]*fill="#a63603"/g)).toHaveLength(3);
  expect(readPathSvg(failed).match(/<circle [^>]*fill="#a63603"/g)).toHaveLength(2);
});
