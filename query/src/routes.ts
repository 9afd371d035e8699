import express, { type Router } from 'express';
import type { Store } from './store';

export function queryRoutes(store: Store): Router {
  const router = express.Router();
  router.get('/posts', (_req, res) => {
    res.type('application/json').send(store.toJson());
  });
  return router;
}
