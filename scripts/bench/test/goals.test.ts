import { figuresOf } from '../src/goals';
import { results } from './results';

const figure = (name: string) => figuresOf(results()).find((f) => f.name === name);

test('each figure beside its goal, judged', () => {
  expect(figure('write latency p99, ms')).toEqual({ group: 'End to end, 50 clients', name: 'write latency p99, ms', value: '59.2', goal: '≤ 100', pass: true });
  expect(figure('settled throughput, comments/s')).toMatchObject({ value: '1,743', pass: true });
  expect(figure('publish throughput, events/s')).toMatchObject({ value: '4,000', goal: '≥ 5,000', pass: false });
  expect(figure('bus RSS, MB')).toMatchObject({ value: '80.0', pass: true });
});

test('reported figures have no verdict', () => {
  expect(figure('raw fsync rate of the same disk, /s')).toMatchObject({ value: '7,000', pass: null });
  expect(figure('write latency p99 of the 1,000 warm-up comments right after start, ms')).toMatchObject({ value: '177.6', pass: null });
});

test('a part that failed misses every goal it had', () => {
  const failed = figuresOf({ ...results(), catchUp: { error: 'query never became ready' } }).filter((f) => f.group.startsWith('Catch-up'));
  expect(failed.map((f) => [f.value, f.pass])).toEqual([
    ['failed', false],
    ['failed', false],
    ['failed', false],
    ['failed', null],
  ]);
});
