import type { StateStore } from '@posts/bus-client';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { DatabaseSettings } from './config';
import { openDatabase, type Database } from './database';
import { watchDatabase } from './metrics';
import { emptyProjection, migrate, type Migrations, type SchemaDb } from './migrate';

/** A service's projection: its database, and the state its subscriber applies the log to. */
export interface Projection<S> extends Database<S> {
  state: StateStore<Transaction<S>>;
  /** Brings the schema up to date (once; again after a failure). The service does it before it listens. */
  migrate(): Promise<void>;
}

/**
 * Opens a service's projection. Its schema is migrated before the checkpoint is first read, so the
 * subscriber never applies events to a half-migrated database; a migration that fails is tried again
 * the next time (the database may have been away).
 */
export function openProjection<S>(settings: DatabaseSettings, options: { migrations: Migrations; logger?: Logger }): Projection<S> {
  const database = openDatabase<S>(settings, options.logger);
  const unwatch = watchDatabase(database);
  const db = database.db as unknown as SchemaDb;
  let migrated: Promise<void> | undefined;
  const current = () =>
    (migrated ??= migrate(db, options.migrations, options.logger).catch((err) => {
      migrated = undefined;
      throw err;
    }));
  const state: StateStore<Transaction<S>> = {
    async checkpoint() {
      await current();
      const row = await db.selectFrom('checkpoint').select(['seq', 'log_id']).where('id', '=', 1).executeTakeFirstOrThrow();
      return { seq: Number(row.seq), logId: row.log_id ?? undefined };
    },
    transaction: async (to, work) => {
      await current();
      await database.db.transaction().execute(async (tx) => {
        await work(tx);
        await (tx as unknown as SchemaDb)
          .updateTable('checkpoint')
          .set({ seq: to.seq, log_id: to.logId ?? null })
          .where('id', '=', 1)
          .execute();
      });
    },
    reset: () => db.transaction().execute(emptyProjection),
    describe: async () => ({ kind: database.kind, bytes: await database.size() }),
  };
  const close = () => {
    unwatch();
    return database.close();
  };
  return { ...database, state, migrate: current, close };
}
