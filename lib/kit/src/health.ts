import express, { type Router } from 'express';

/** `/healthz` answers while the process lives; `/readyz` only once it can serve. */
export function health(isReady: () => boolean): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const ready = isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'starting' });
  });
  return router;
}
