// Spans for the log's events, named and described by OpenTelemetry's messaging conventions: `publish <type>`
// (PRODUCER) around a publish, `process <type>` (CONSUMER) around applying it, the second a child of the first
// through the event's `traceparent`. With tracing off no span records, so nothing is described or injected.
import { context, SpanKind, SpanStatusCode, trace, TraceFlags, ROOT_CONTEXT, type Context, type Span } from '@opentelemetry/api';
import { TRACEPARENT, type BusEvent, type NewEvent } from './events';

const tracer = trace.getTracer('@posts/bus-client');

/** `messaging.system`: JetStream, or the hand-written bus. */
const systemOf = (url: string) => (url.startsWith('nats:') ? 'nats' : 'posts.com-event-bus');

/** The span context a `traceparent` names, as the parent of what follows it; none for a missing or malformed one. */
export function contextOf(traceparent: string | undefined): Context | undefined {
  if (!traceparent || !TRACEPARENT.test(traceparent)) return undefined;
  const [, traceId, spanId, flags] = traceparent.split('-');
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true });
}

/** The `traceparent` of a span: W3C version 00. */
function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

function describe(span: Span, operation: 'publish' | 'process', event: { id?: string; type: string }, url: string): void {
  span.setAttributes({
    'messaging.system': systemOf(url),
    'messaging.operation.name': operation,
    'messaging.operation.type': operation === 'publish' ? 'send' : 'process',
    'messaging.destination.name': event.type,
    ...(event.id ? { 'messaging.message.id': event.id } : {}),
  });
}

function failed(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * Publishes `event` (through `send`) in a span `publish <type>`, a child of the trace context the event is
 * given (a reaction's cause) or else of the active one, and stores that span's context as the event's
 * `traceparent`. With tracing off the event goes as it is.
 */
export function tracePublish<T>(event: NewEvent, url: string, send: () => Promise<T>): Promise<T> {
  const parent = contextOf(event.traceparent) ?? context.active();
  const span = tracer.startSpan(`publish ${event.type}`, { kind: SpanKind.PRODUCER }, parent);
  if (!span.isRecording()) return send();
  describe(span, 'publish', event, url);
  event.traceparent = traceparentOf(span);
  return context.with(trace.setSpan(parent, span), send).then(
    (result) => {
      span.end();
      return result;
    },
    (err: unknown) => {
      failed(span, err);
      span.end();
      throw err;
    },
  );
}

/**
 * Applies an event in a span `process <type>`, a child of the span that published it; `apply` is handed the
 * `traceparent` of its processing (the event's own with tracing off), which a reaction it causes continues.
 */
export async function traceProcess(event: BusEvent, url: string, apply: (traceparent: string | undefined) => unknown): Promise<void> {
  const parent = contextOf(event.traceparent);
  if (!parent) return void (await apply(undefined));
  const span = tracer.startSpan(`process ${event.type}`, { kind: SpanKind.CONSUMER }, parent);
  if (!span.isRecording()) return void (await apply(event.traceparent));
  describe(span, 'process', event, url);
  try {
    await context.with(trace.setSpan(parent, span), () => apply(traceparentOf(span)));
  } catch (err) {
    failed(span, err);
    throw err;
  } finally {
    span.end();
  }
}
