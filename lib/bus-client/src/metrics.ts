// The SDK's metrics, on prom-client's default registry (so the kit's /metrics shows them), registered once per
// process when the first subscriber or bus is made. Each subscriber is one `subscriber` label: it keeps plain
// numbers on its hot path, and they become samples when Prometheus scrapes.
import { metric } from '@posts/kit';
import { Counter, Histogram } from 'prom-client';
import { subscriberGauge, subscriptionMetrics } from './subscription-metrics';
import type { BusTransport, SubscriptionState } from './transport';

/** What a subscriber counts as it applies the log. */
export interface SubscriberFigures {
  lastSeq: number;
  /** The log's last seq, as the last page or delivery said. */
  logHead: number;
  /** Events applied, by their handler's type. */
  appliedByType: ReadonlyMap<string, number>;
  /** Runs of `react` that threw since start. */
  reactionsFailed: number;
  /** While the state is thrown away and replayed from the log. */
  rebuilding: boolean;
}

interface Watched {
  figures: SubscriberFigures;
  transport: BusTransport;
  /** Its own subscription, on a log that keeps one per process, as last asked. */
  own?: { at: number; state: Promise<SubscriptionState | undefined> };
}

/** The subscribers the metrics describe, by their label: every one made in this process and not stopped. */
const watched = new Map<string, Watched>();

/** Makes the metrics describe this subscriber under `name` (made unique in the process), until the returned function is called. */
export function watchSubscriber(name: string, figures: SubscriberFigures, transport: BusTransport): () => void {
  registerSubscriberMetrics();
  if (transport.ownSubscription) registerOwnSubscriptions();
  let label = name;
  for (let n = 2; watched.has(label); n++) label = `${name}-${n}`;
  watched.set(label, { figures, transport });
  return () => watched.delete(label);
}

/** From publish() to the log storing the event, for every bus in the process. */
export const publishDuration = () =>
  metric(
    'sdk_publish_duration_seconds',
    () =>
      new Histogram({
        name: 'sdk_publish_duration_seconds',
        help: 'From publish() to the log storing the event.',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      }),
  );

/** A gauge with one sample per subscriber, each subscriber's `value` when scraped. */
const gauge = (name: string, help: string, value: (w: Watched) => number | Promise<number>) =>
  subscriberGauge(name, help, () => Promise.all([...watched].map(async ([subscriber, w]) => [subscriber, await value(w)] as [string, number])));

/** A counter with one sample per subscriber (and per type, where it counts by type), set from the subscriber's own counts when scraped. */
function counter(name: string, help: string, counts: (w: Watched) => Array<[count: number, type?: string]>): void {
  metric(
    name,
    () =>
      new Counter({
        name,
        help,
        labelNames: ['subscriber', 'type'],
        collect() {
          this.reset();
          for (const [subscriber, w] of watched)
            for (const [count, type] of counts(w)) this.inc(type === undefined ? { subscriber } : { subscriber, type }, count);
        },
      }),
  );
}

function registerSubscriberMetrics(): void {
  gauge('sdk_last_applied_seq', 'The last seq applied to the state: its checkpoint.', ({ figures }) => figures.lastSeq);
  gauge('sdk_rebuilding', '1 while the state is thrown away and replayed from the log.', ({ figures }) => Number(figures.rebuilding));
  gauge('sdk_lag_events', 'Events in the log not applied yet.', async (w) => {
    // A follower is told no head with each message: its consumer knows what is pending.
    const pending = (await ownSubscription(w))?.backlog;
    return pending ?? Math.max(0, w.figures.logHead - w.figures.lastSeq);
  });
  counter('sdk_events_applied_total', 'Events applied since start, by type.', ({ figures }) =>
    [...figures.appliedByType].map(([type, count]) => [count, type]),
  );
  counter('sdk_reactions_failed_total', 'Runs of react that failed, to be retried.', ({ figures }) => [[figures.reactionsFailed]]);
}

/** A subscriber's own subscription, asked of the log at most once a second (one scrape reads it for several metrics). */
function ownSubscription(w: Watched): Promise<SubscriptionState | undefined> {
  if (!w.transport.ownSubscription) return Promise.resolve(undefined);
  if (!w.own || Date.now() - w.own.at > 1000) w.own = { at: Date.now(), state: w.transport.ownSubscription().catch(() => undefined) };
  return w.own.state;
}

/** On JetStream no bus process exports the per-subscriber figures: each service exports its own consumer's. */
function registerOwnSubscriptions(): void {
  subscriptionMetrics(async () => {
    const states = await Promise.all([...watched.values()].map(ownSubscription));
    return states.filter((state) => state !== undefined);
  });
}
