// The SDK's metrics, on prom-client's default registry (so the kit's /metrics shows them). The
// subscriber keeps plain numbers on its hot path; they become metrics when Prometheus scrapes.
import { metric } from '@posts/kit';
import { Counter, Gauge, Histogram } from 'prom-client';
import { subscriptionMetrics } from './subscription-metrics';
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
}

/** The subscriber the metrics describe: one per service (the last one made, in tests that make several). */
let watched: { figures: SubscriberFigures; transport: BusTransport } | undefined;
let own: { at: number; state: Promise<SubscriptionState | undefined> } | undefined;

/** Makes the metrics describe this subscriber; on a log with one subscription per process (JetStream), its own too. */
export function watchSubscriber(figures: SubscriberFigures, transport: BusTransport): void {
  watched = { figures, transport };
  own = undefined;
  if (transport.ownSubscription) registerOwnSubscription();
}

export const publishDuration = metric(
  'sdk_publish_duration_seconds',
  () =>
    new Histogram({
      name: 'sdk_publish_duration_seconds',
      help: 'From publish() to the log storing the event.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
);

metric(
  'sdk_last_applied_seq',
  () =>
    new Gauge({
      name: 'sdk_last_applied_seq',
      help: 'The last seq applied to the state.',
      collect() {
        if (watched) this.set(watched.figures.lastSeq);
      },
    }),
);

metric(
  'sdk_lag_events',
  () =>
    new Gauge({
      name: 'sdk_lag_events',
      help: 'Events in the log not applied yet.',
      async collect() {
        if (!watched) return;
        const { lastSeq, logHead } = watched.figures;
        // A follower is told no head with each message: its consumer knows what is pending.
        const pending = (await ownSubscription())?.backlog;
        this.set(pending ?? Math.max(0, logHead - lastSeq));
      },
    }),
);

metric(
  'sdk_events_applied_total',
  () =>
    new Counter({
      name: 'sdk_events_applied_total',
      help: 'Events applied since start, by type.',
      labelNames: ['type'],
      collect() {
        this.reset();
        for (const [type, count] of watched?.figures.appliedByType ?? []) this.inc({ type }, count);
      },
    }),
);

metric(
  'sdk_reactions_failed_total',
  () =>
    new Counter({
      name: 'sdk_reactions_failed_total',
      help: 'Runs of react that failed, to be retried.',
      collect() {
        this.reset();
        if (watched) this.inc(watched.figures.reactionsFailed);
      },
    }),
);

/** This process's own subscription, asked of the log at most once a second (one scrape reads it for several metrics). */
function ownSubscription(): Promise<SubscriptionState | undefined> {
  const transport = watched?.transport;
  if (!transport?.ownSubscription) return Promise.resolve(undefined);
  if (!own || Date.now() - own.at > 1000) own = { at: Date.now(), state: transport.ownSubscription().catch(() => undefined) };
  return own.state;
}

/** On JetStream no bus process exports the per-subscriber figures: each service exports its own consumer's. */
function registerOwnSubscription(): void {
  subscriptionMetrics(async () => {
    const state = await ownSubscription();
    return state ? [state] : [];
  });
}
