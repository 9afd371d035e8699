// Subscribers' figures under the bus's metric names, apart from the SDK's own (registered once a subscriber is made): the bus registers these
// and nothing else of the SDK.
import { metric } from '@posts/kit';
import { Counter, Gauge } from 'prom-client';
import type { SubscriptionState } from './transport';

/**
 * Each subscriber's figures under the bus's names, read from `states` when Prometheus scrapes: the bus gives its
 * deliveries', a service on JetStream its own consumer's, so one dashboard reads both backends.
 */
export function subscriptionMetrics(states: () => SubscriptionState[] | Promise<SubscriptionState[]>): void {
  const gauge = (name: string, help: string, value: (s: SubscriptionState) => number) =>
    subscriberGauge(name, help, async () => (await states()).map((s) => [s.name, value(s)]));
  gauge('bus_subscriber_cursor', 'The last seq the subscriber acknowledged.', (s) => s.cursor);
  gauge('bus_subscriber_backlog', 'Events in the log after the subscriber cursor.', (s) => s.backlog);
  // -1 rather than no series: a subscriber that never failed still shows on a dashboard.
  gauge('bus_subscriber_seconds_since_error', 'Seconds since the last failed delivery; -1 if none since start.', (s) =>
    s.lastError ? (Date.now() - Date.parse(s.lastError.at)) / 1000 : -1,
  );
  metric(
    'bus_subscriber_retries_total',
    () =>
      new Counter({
        name: 'bus_subscriber_retries_total',
        help: 'Deliveries sent again since start.',
        labelNames: ['subscriber'],
        async collect() {
          this.reset();
          for (const s of await states()) this.inc({ subscriber: s.name }, s.retries);
        },
      }),
  );
}

/** A gauge with one sample per subscriber, read from `samples` when Prometheus scrapes. */
export function subscriberGauge(name: string, help: string, samples: () => Promise<Array<[subscriber: string, value: number]>>): void {
  metric(
    name,
    () =>
      new Gauge({
        name,
        help,
        labelNames: ['subscriber'],
        async collect() {
          this.reset(); // a subscriber no longer there goes
          for (const [subscriber, value] of await samples()) this.set({ subscriber }, value);
        },
      }),
  );
}
