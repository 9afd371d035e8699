import type { Router } from 'express';
import type { Subscriber } from './subscriber';

/** Where a service's state stands, as `GET /state` answers it. */
export interface StateView {
  /** The last seq applied to the state. */
  checkpoint: number;
  /** The log's last seq, as the subscriber last heard it. */
  logHead: number;
  rebuilding: boolean;
  /** What the state is kept in; absent for a state kept in memory. */
  database?: { kind: string; bytes: number };
}

/**
 * `GET /state`: the checkpoint, the log's head, whether a rebuild runs and the database's size. Read only, and
 * open to whoever reaches the port: the console asks it from another machine (unlike `POST /rebuild`).
 */
export function attachState(router: Router, subscriber: Subscriber): void {
  router.get('/state', async (_req, res) => {
    const view: StateView = { checkpoint: subscriber.lastSeq, logHead: subscriber.logHead, rebuilding: subscriber.rebuilding };
    const database = await subscriber.describeState();
    if (database) view.database = { kind: database.kind, bytes: database.bytes };
    res.json(view);
  });
}
