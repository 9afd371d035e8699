// Traces: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set, then spans go there over OTLP/HTTP. A service loads
// this before anything else (its src/tracing.ts is the first import of its index.ts), so the http and express
// instrumentations are in place before those modules are. Off, the SDK is never loaded: no cost at all.
import type { IncomingMessage } from 'node:http';
import type { ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { z } from 'zod';
import { loadConfig } from './config';

export interface TracingOptions {
  /** Requests taken without a span beside the probes: a bus delivery, whose events get `process <type>` spans of their own. */
  untracedRequests?: (req: IncomingMessage) => boolean;
  /** Makes no spans for outgoing requests: the bus's deliveries, traced where they are processed. */
  untracedOutgoing?: boolean;
}

/** Health probes and metrics scrapes: every few seconds, and nothing to follow. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

const tracingConfig = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
});

let stop: (() => Promise<void>) | undefined;

/** Starts tracing as `service` (OTEL_SERVICE_NAME wins if set) when OTEL_EXPORTER_OTLP_ENDPOINT is set; does nothing otherwise. */
export function startTracing(service: string, { untracedRequests = () => false, untracedOutgoing = false }: TracingOptions = {}): void {
  const config = loadConfig(service, tracingConfig);
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT || stop) return;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on, and before express and http */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node') as typeof import('@opentelemetry/auto-instrumentations-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Only what makes a request's spans (fs, dns, net and the rest are noise and cost); the standard variable can widen it.
  process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS ??= 'http,express';
  const sdk = new NodeSDK({
    serviceName: config.OTEL_SERVICE_NAME ?? service,
    traceExporter: new OTLPTraceExporter(),
    // Traces only: no metric reader, no log exporter.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: getNodeAutoInstrumentations({
      '@opentelemetry/instrumentation-http': {
        ignoreIncomingRequestHook: (req) => PROBES.has(req.url?.split('?')[0] ?? '') || untracedRequests(req),
        ignoreOutgoingRequestHook: () => untracedOutgoing,
      },
      // A span per route handler, not per middleware and router on the way to it.
      '@opentelemetry/instrumentation-express': { ignoreLayersType: ['middleware', 'router'] as ExpressLayerType[] },
    }),
  });
  sdk.start();
  stop = () => sdk.shutdown();
}

/** Sends the spans still batched, waiting 2 s at most (the collector may be gone); then tracing is off. */
export async function stopTracing(): Promise<void> {
  const stopping = stop?.();
  stop = undefined;
  if (!stopping) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([stopping.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
  clearTimeout(timer);
}
