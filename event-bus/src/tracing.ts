// The first import of index.ts: with tracing on, http and express are instrumented before they load.
import { startTracing } from '@posts/kit/tracing';

// Its outgoing requests are deliveries: each event in them is traced where it is processed.
startTracing('event-bus', { untracedOutgoing: true });
