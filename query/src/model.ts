import type { StateStore } from '@posts/bus-client';
import type { Projection, Transaction } from '@posts/db';
import type { Change, Live } from './live';
import type { Schema } from './schema';
import { lastChange, setLastChange } from './store';

/**
 * The read model as the routes and the live stream see it: only what is committed. The handlers tell it each change
 * they make (`made`), and it goes to the live stream once the transaction that made it committed; a transaction that
 * failed sends nothing. `seq`, the last committed change's, names the model's version.
 */
export function readModel(projection: Projection<Schema>, live: Pick<Live, 'publish' | 'resumeAt'>) {
  let seq = 0;
  /** The changes of the transaction under way: the subscriber runs one at a time. */
  let made: Change[] = [];

  const state: StateStore<Transaction<Schema>> = {
    async checkpoint() {
      const at = await projection.state.checkpoint();
      seq = await lastChange(projection.db);
      live.resumeAt(seq);
      return at;
    },
    async transaction(to, work) {
      const changes: Change[] = [];
      await projection.state.transaction(to, async (tx) => {
        changes.length = 0; // a transaction the database retries starts again
        made = changes;
        await work(tx);
        if (changes.length > 0) await setLastChange(tx, changes.at(-1)!.seq);
      });
      if (changes.length > 0) seq = changes.at(-1)!.seq;
      for (const change of changes) live.publish(change);
    },
    async reset() {
      await projection.state.reset();
      seq = 0;
    },
  };

  return {
    db: projection.db,
    state,
    /** Called by a handler with the change it made (none when it ignored its event), in the transaction under way. */
    made(change: Change | undefined): void {
      if (change) made.push(change);
    },
    /** The seq of the last committed change: the database has every change up to it. */
    get seq(): number {
      return seq;
    },
  };
}

export type ReadModel = ReturnType<typeof readModel>;
