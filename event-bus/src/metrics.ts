// The bus's metrics, read from the log and the deliveries when Prometheus scrapes: nothing is
// counted on the publish or delivery paths.
import { subscriptionMetrics } from '@posts/bus-client';
import { metric } from '@posts/kit';
import { Counter, Gauge } from 'prom-client';
import type { Delivery } from './delivery';
import type { EventLog } from './log';

interface Watched {
  log: EventLog;
  deliveries: Delivery[];
  /** The head when the bus started: events read back from the file were not appended by this process. */
  headAtStart: number;
}

/** The bus the metrics describe: one per process (the last one made, in tests that make several). */
let watched: Watched | undefined;

const statuses = () => watched?.deliveries.map((d) => d.status()) ?? [];

metric(
  'bus_events_appended_total',
  () =>
    new Counter({
      name: 'bus_events_appended_total',
      help: 'Events appended to the log since start.',
      collect() {
        this.reset();
        if (watched) this.inc(watched.log.head - watched.headAtStart);
      },
    }),
);

metric(
  'bus_log_head',
  () =>
    new Gauge({
      name: 'bus_log_head',
      help: 'The last durable seq of the log.',
      collect() {
        if (watched) this.set(watched.log.head);
      },
    }),
);

// Each delivery as a subscription; the error age counts from its last failure since start.
subscriptionMetrics(() =>
  statuses().map((s) => ({
    name: s.url,
    cursor: s.cursor,
    backlog: s.backlog,
    retries: s.retries,
    ...(s.lastErrorAt ? { lastError: { message: s.lastError ?? '', at: s.lastErrorAt } } : {}),
  })),
);

/** Makes the metrics describe this bus. */
export function watchBus(log: EventLog, deliveries: Delivery[]): void {
  watched = { log, deliveries, headAtStart: log.head };
}
