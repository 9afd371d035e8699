import express, { type Router } from 'express';
import { z } from 'zod';
import type { Delivery } from './delivery';
import type { EventLog } from './log';

const publication = z.strictObject({
  id: z.string().trim().min(1).max(200).optional(),
  type: z.string().trim().min(1).max(100),
  data: z.record(z.string(), z.unknown()),
  requestId: z.string().max(200).optional(),
});
// One event (the seed's wire format) or several, which share one write and one flush.
const publishBody = z.union([publication, z.array(publication).min(1).max(1000)]);

const readQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

export function eventRoutes(log: EventLog, deliveries: Delivery[]): Router {
  const router = express.Router();

  router.post('/events', express.json({ limit: '1mb' }), async (req, res) => {
    const body = publishBody.parse(req.body);
    const results = await log.append(Array.isArray(body) ? body : [body]);
    const stored = results.some((r) => !r.duplicate);
    res.status(stored ? 201 : 200).json(Array.isArray(body) ? results : { id: results[0].id, seq: results[0].seq });
  });

  router.get('/events', (req, res) => {
    const { after, limit } = readQuery.parse(req.query);
    const firstId = log.firstId;
    if (firstId) res.setHeader('x-log-id', firstId);
    // A page may hold fewer events than asked (it is capped in bytes): readers go on to the head.
    res.setHeader('x-log-head', String(log.head));
    res.type('application/json').send(log.jsonAfter(after, limit));
  });

  router.get('/subscriptions', (_req, res) => {
    res.json(deliveries.map((d) => d.status()));
  });

  return router;
}
