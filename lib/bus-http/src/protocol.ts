// The wire protocol of posts.com's event bus, shared by the bus and the HTTP transport.
import { TRACEPARENT } from '@posts/bus-client';
import { z } from 'zod';

/** The id of the log (its first event's id), on every read and delivery: a replaced log can be told apart. */
export const LOG_ID_HEADER = 'x-log-id';
/** The log's last seq, on every read: a page cut short by its size is not the end. */
export const LOG_HEAD_HEADER = 'x-log-head';

export { isDelivery } from './delivery-route';

export const publicationSchema = z.strictObject({
  id: z.string().trim().min(1).max(200).optional(),
  type: z.string().trim().min(1).max(100),
  data: z.record(z.string(), z.unknown()),
  requestId: z.string().max(200).optional(),
  traceparent: z.string().regex(TRACEPARENT).optional(),
  source: z.string().trim().min(1).max(100).optional(),
});

/** One event (the course's format) or several, which share one write and one flush. */
export const publishSchema = z.union([publicationSchema, z.array(publicationSchema).min(1).max(1000)]);
