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

test('the bus against JetStream: each ratio beside its goal', () => {
  expect(figure('publish throughput, signed bus / JetStream R1')).toEqual({
    group: 'Bus against JetStream, 50 publishers',
    name: 'publish throughput, signed bus / JetStream R1',
    value: '0.60×',
    goal: '≥ 1.0×',
    pass: false,
  });
  expect(figure('publish throughput, SDK / raw js.publish on JetStream R1')).toMatchObject({ value: '0.90×', goal: '≥ 0.8×', pass: true });
  expect(figure('query ready after start, 10,000 events from JetStream R1, s')).toMatchObject({ value: '0.90', goal: '≤ 5', pass: true });
  expect(figure('signed bus: acknowledged but not in the file after SIGKILL')).toMatchObject({ value: '0', pass: true });
});

test('without nats-server the JetStream figures say so and are not judged; the signed bus still is', () => {
  const r = { ...results(), jetStream: { notRun: 'nats-server not installed', r1: {}, r3: {}, sdk: {}, catchUp: {}, e2e: {} } };
  const group = figuresOf(r).filter((f) => f.group.startsWith('Bus against JetStream'));
  expect(group.map((f) => [f.value, f.pass])).toEqual([
    ['0', true],
    ['0', true],
    ['not run: nats-server not installed', null],
    ['not run: nats-server not installed', null],
    ['not run: nats-server not installed', null],
    ['not run: nats-server not installed', null],
  ]);
});

test('a JetStream run that failed misses the goals it is part of', () => {
  const r = results();
  r.jetStream.r1 = { error: 'nats-server 0 did not start' };
  const failed = figuresOf(r).filter((f) => f.group.startsWith('Bus against JetStream') && f.value === 'failed');
  expect(failed.map((f) => [f.name, f.pass])).toEqual([
    ['publish throughput, signed bus / JetStream R1', false],
    ['publish throughput, SDK / raw js.publish on JetStream R1', false],
    ['JetStream: errors (R1, R3, SDK)', false],
  ]);
});

test('end to end on JetStream R3 is compared in its own table, not judged among the figures', () => {
  expect(figuresOf(results()).filter((f) => f.group.includes('JetStream R3'))).toEqual([]);
});
