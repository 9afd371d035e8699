// The first import of index.ts: with tracing on, http and express are instrumented before they load.
import { isDelivery } from '@posts/bus-http/delivery-route';
import { startTracing } from '@posts/kit/tracing';

startTracing('comments', { untracedRequests: isDelivery });
