// The wire protocol of posts.com's event bus, shared by the bus and the SDK's HTTP transport.
import { z } from 'zod';

/** An event as the log holds it. `seq` is its position in the log: 1, 2, 3 … */
export interface BusEvent<T = unknown> {
  id: string;
  seq: number;
  type: string;
  data: T;
  at: string;
  requestId?: string;
}

/** What a publisher sends; the log assigns `seq` and `at`. */
export interface NewEvent<T = unknown> {
  id?: string;
  type: string;
  data: T;
  requestId?: string;
}

/** The log's answer to one published event: where it stands, and whether it was there already. */
export interface PubAck {
  id: string;
  seq: number;
  duplicate: boolean;
}

/** The id of the log (its first event's id), on every read and delivery: a replaced log can be told apart. */
export const LOG_ID_HEADER = 'x-log-id';
/** The log's last seq, on every read: a page cut short by its size is not the end. */
export const LOG_HEAD_HEADER = 'x-log-head';

/** Most bytes of one stored event: every event the bus takes leaves room for the reactions it causes. */
export const MAX_EVENT_BYTES = 64 * 1024;

export const eventSchema = z.object({
  id: z.string().min(1).max(200),
  seq: z.number().int().positive(),
  type: z.string().min(1).max(100),
  data: z.unknown(),
  at: z.string(),
  requestId: z.string().max(200).optional(),
});

/** What a delivery to a subscriber holds: one event (the course's format) or several. */
export const deliverySchema = z.union([eventSchema, z.array(eventSchema).max(10_000)]);

export const publicationSchema = z.strictObject({
  id: z.string().trim().min(1).max(200).optional(),
  type: z.string().trim().min(1).max(100),
  data: z.record(z.string(), z.unknown()),
  requestId: z.string().max(200).optional(),
});

/** One event (the course's format) or several, which share one write and one flush. */
export const publishSchema = z.union([publicationSchema, z.array(publicationSchema).min(1).max(1000)]);
