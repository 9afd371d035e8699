// Events as every transport carries them: what a publisher sends, what the log holds, what it answers.
import { z } from 'zod';

/** An event as the log holds it. `seq` is its position in the log: 1, 2, 3 … */
export interface BusEvent<T = unknown> {
  id: string;
  seq: number;
  type: string;
  data: T;
  at: string;
  requestId?: string;
  /** The W3C trace context of the span that published it: its processing continues that trace. */
  traceparent?: string;
  /** The service that published it. */
  source?: string;
}

/** What a publisher sends; the log assigns `seq` and `at`. */
export interface NewEvent<T = unknown> {
  id?: string;
  type: string;
  data: T;
  requestId?: string;
  /** The trace context it is published in; with tracing on, the SDK stores its publish span's instead. */
  traceparent?: string;
  /** The service that publishes it (the SDK sets it). */
  source?: string;
}

/** The log's answer to one published event: where it stands, and whether it was there already. */
export interface PubAck {
  id: string;
  seq: number;
  duplicate: boolean;
}

/** Most bytes of one stored event: every event the log takes leaves room for the reactions it causes. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** A W3C `traceparent`: version, trace id, parent span id, flags, in lower-case hex. */
export const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const traceparent = z.string().regex(TRACEPARENT);
const source = z.string().trim().min(1).max(100);

export const eventSchema = z.object({
  id: z.string().min(1).max(200),
  seq: z.number().int().positive(),
  type: z.string().min(1).max(100),
  data: z.unknown(),
  at: z.string(),
  requestId: z.string().max(200).optional(),
  // Read tolerantly: a malformed one is dropped, rather than stall a subscriber on an event it can apply.
  traceparent: traceparent.optional().catch(undefined),
  source: source.optional().catch(undefined),
});

/** What a delivery to a subscriber holds: one event (the course's format) or several. */
export const deliverySchema = z.union([eventSchema, z.array(eventSchema).max(10_000)]);
