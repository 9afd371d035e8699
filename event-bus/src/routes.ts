import { MAX_EVENT_BYTES } from '@posts/bus-client';
import { LOG_HEAD_HEADER, LOG_ID_HEADER, publishSchema, type SignatureGuard } from '@posts/bus-http';
import { HttpError } from '@posts/kit';
import express, { type ErrorRequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Delivery } from './delivery';
import { EventTooLargeError, LogUnavailableError, UnstorableEventError, type EventLog } from './log';

const readQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** The log's refusals, answered as what they mean to a publisher. */
const logErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  if (err instanceof UnstorableEventError) return next(new HttpError(400, 'invalid_request', err.message));
  if (err instanceof EventTooLargeError) return next(new HttpError(413, 'event_too_large', err.message));
  if (err instanceof LogUnavailableError) return next(new HttpError(503, 'log_unavailable', err.message));
  next(err);
};

const READER_LEFT = new Error('the reader left');

/** Writes a chunk; resolves once it is out, so its memory can be used again, or rejects if the reader left. */
function writeChunk(res: Response, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    // A write to a connection that closes may never call back.
    const left = () => reject(READER_LEFT);
    res.once('close', left);
    res.write(chunk, (err) => {
      res.off('close', left);
      if (err) reject(READER_LEFT);
      else resolve();
    });
  });
}

/** The log's routes, each behind `guard`: with a secret, only requests signed with it get past. */
export function eventRoutes(log: EventLog, deliveries: Delivery[], guard: SignatureGuard): Router {
  const router = express.Router();

  // A publish: 201 when anything was new, 200 when all were there already; `{id, seq}` for one event, an array for a batch.
  router.post('/events', ...guard.json('1mb'), async (req, res) => {
    const body = publishSchema.parse(req.body);
    const results = await log.append(Array.isArray(body) ? body : [body], MAX_EVENT_BYTES);
    const stored = results.some((r) => !r.duplicate);
    res.status(stored ? 201 : 200).json(Array.isArray(body) ? results : { id: results[0].id, seq: results[0].seq });
  });

  router.get('/events', ...guard.bodiless(), (req, res, next) => {
    const { after, limit } = readQuery.parse(req.query);
    const head = log.head;
    const firstId = log.firstId;
    if (firstId) res.setHeader(LOG_ID_HEADER, firstId);
    // A page may hold fewer events than asked (it is capped in bytes): readers go on to the head.
    res.setHeader(LOG_HEAD_HEADER, String(head));
    res.type('application/json');
    if (after !== undefined || limit !== undefined) return void res.send(log.jsonAfter(after ?? 0, limit));
    // The whole log (a reader rebuilding itself from the start), a chunk at a time.
    log
      .writeJson(head, (chunk) => writeChunk(res, chunk))
      .then(
        () => res.end(),
        (err) => {
          if (err === READER_LEFT) return;
          res.destroy(); // the array is cut short: the reader must not take it for the whole log
          next(err);
        },
      );
  });

  router.get('/subscriptions', ...guard.bodiless(), (_req, res) => {
    res.json(deliveries.map((d) => d.status()));
  });

  router.use(logErrors);
  return router;
}
