import express, { type Router } from 'express';
import type { Store } from './store';

export function queryRoutes(store: Store): Router {
  const router = express.Router();
  router.get('/posts', (req, res) => {
    const etag = store.etag();
    res.setHeader('etag', etag);
    res.setHeader('cache-control', 'no-cache'); // keep asking, but a 304 is enough when nothing changed
    if (req.headers['if-none-match'] === etag) return void res.status(304).end();
    res.type('application/json').send(store.toJson());
  });
  return router;
}
