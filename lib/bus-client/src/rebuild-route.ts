import type { Request, Router } from 'express';
import type { Subscriber } from './subscriber';

/** Only a process on the same machine (in a cluster, `kubectl exec` into the pod): the ingress and other pods never reach it so. */
const fromThisMachine = (req: Request) => ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '') && !req.headers['x-forwarded-for'];

/**
 * `POST /rebuild` throws the service's state away and replays the log into it (202 at once; not ready
 * meanwhile); `GET /rebuild` says how far it has come. What `npm run rebuild -- <service>` calls.
 */
export function attachRebuild(router: Router, subscriber: Subscriber): void {
  router.use('/rebuild', (req, res, next) => {
    if (fromThisMachine(req)) return next();
    res.status(403).json({ error: { code: 'forbidden', message: 'A rebuild is asked from the machine the service runs on.' } });
  });
  const progress = () => ({ rebuilding: subscriber.rebuilding, lastSeq: subscriber.lastSeq, logHead: subscriber.logHead });
  router.get('/rebuild', (_req, res) => {
    res.json(progress());
  });
  router.post('/rebuild', (_req, res) => {
    void subscriber.rebuild().catch(() => undefined); // one already under way is the same rebuild; the subscriber logs what failed
    res.status(202).json({ ...progress(), rebuilding: true });
  });
}
