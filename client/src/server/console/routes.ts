// The console's API under /console/api: read only, GET only, JSON (or server-sent events), never an address.
import { HttpError, notFound, z } from '@posts/kit';
import express, { type Router } from 'express';
import type { ConsoleView } from './view';

const eventsQuery = z.object({
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const pathQuery = z.object({ id: z.string().trim().min(1).max(200) });
const liveQuery = z.object({ since: z.coerce.number().int().min(0).optional() });

export function consoleRoutes(view: ConsoleView | undefined): Router {
  const router = express.Router();
  router.use(async (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    if (!view) return next(new HttpError(503, 'unavailable', 'The console has no event log to read here (EVENT_BUS_URL is not set).'));
    // The console reads the log only while someone looks: the first look after an idle minute waits for it to catch up.
    await view.want();
    next();
  });

  // The newest events, or a page of older ones (`before` a seq), newest first.
  router.get('/events', async (req, res) => {
    const { before, limit } = eventsQuery.parse(req.query);
    res.json(await view!.page(limit, before));
  });

  router.get('/subscribers', (_req, res) => {
    res.json({ subscribers: view!.subscribers });
  });

  // A comment's (or post's) path, by its id or by the request id that caused it.
  router.get('/path', (req, res) => {
    const { id } = pathQuery.parse(req.query);
    const path = view!.path(id);
    if (!path) throw new HttpError(404, 'not_found', 'No recent event has that comment or request id.');
    res.json({ id, ...path });
  });

  router.get('/live', (req, res) => {
    const { since } = liveQuery.parse({ since: req.get('last-event-id') ?? req.query.since });
    view!.stream(res, since);
  });

  // Nothing else here is a page: an unknown API path is a JSON 404, whatever the request accepts.
  router.use(notFound);
  return router;
}
