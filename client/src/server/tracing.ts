// The first import of index.ts: with tracing on, http and express are instrumented before they load.
import { startTracing } from '@posts/kit/tracing';

startTracing('client');
