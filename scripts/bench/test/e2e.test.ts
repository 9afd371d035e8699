import { cpuByRole, workloadsOf } from '../src/e2e';

test('the processes of each system: the event bus and the services, or the NATS nodes in its place', () => {
  expect(workloadsOf(false)).toEqual(['event-bus', 'posts', 'comments', 'query', 'moderation', 'client']);
  expect(workloadsOf(true)).toEqual(['nats', 'posts', 'comments', 'query', 'moderation', 'client']);
});

test("a run's CPU by what spent it, every replica and node counted", () => {
  const cpuSeconds = { 'nats-0': 0.5, 'nats-1': 0.25, 'posts-0': 0.1, 'posts-1': 0.15, client: 0, load: 0.3, 'launcher+ingress': 0.4 };
  expect(cpuByRole({ cpuSeconds })).toEqual({ services: 0.25, log: 0.75, load: 0.3, launcher: 0.4, processes: 5 });
  expect(cpuByRole({ cpuSeconds: { 'event-bus': 1, posts: 0.5, load: 0.1 } })).toEqual({ services: 0.5, log: 1, load: 0.1, launcher: 0, processes: 2 });
});
