// The bus's metrics, read from the log and the deliveries when Prometheus scrapes: nothing is
// counted on the publish or delivery paths.
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

metric(
  'bus_subscriber_cursor',
  () =>
    new Gauge({
      name: 'bus_subscriber_cursor',
      help: 'The last seq the subscriber acknowledged.',
      labelNames: ['subscriber'],
      collect() {
        this.reset(); // a subscriber of a bus no longer watched goes
        for (const s of statuses()) this.set({ subscriber: s.url }, s.cursor);
      },
    }),
);

metric(
  'bus_subscriber_backlog',
  () =>
    new Gauge({
      name: 'bus_subscriber_backlog',
      help: 'Events in the log after the subscriber cursor.',
      labelNames: ['subscriber'],
      collect() {
        this.reset();
        for (const s of statuses()) this.set({ subscriber: s.url }, s.backlog);
      },
    }),
);

metric(
  'bus_subscriber_retries_total',
  () =>
    new Counter({
      name: 'bus_subscriber_retries_total',
      help: 'Deliveries sent again since start.',
      labelNames: ['subscriber'],
      collect() {
        this.reset();
        for (const s of statuses()) this.inc({ subscriber: s.url }, s.retries);
      },
    }),
);

metric(
  'bus_subscriber_seconds_since_error',
  () =>
    new Gauge({
      name: 'bus_subscriber_seconds_since_error',
      // -1 rather than no series: a subscriber that never failed still shows on a dashboard.
      help: 'Seconds since the last failed delivery; -1 if none since start.',
      labelNames: ['subscriber'],
      collect() {
        this.reset();
        const now = Date.now();
        for (const s of statuses()) this.set({ subscriber: s.url }, s.lastErrorAt ? (now - Date.parse(s.lastErrorAt)) / 1000 : -1);
      },
    }),
);

/** Makes the metrics describe this bus. */
export function watchBus(log: EventLog, deliveries: Delivery[]): void {
  watched = { log, deliveries, headAtStart: log.head };
}
