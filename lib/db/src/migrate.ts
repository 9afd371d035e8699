import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { Logger } from 'pino';

/** A database whose tables a migration makes, so none of them can be typed yet. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs before the schema it makes exists
export type SchemaDb = Kysely<any>;

/** A service's schema: versioned migrations by name, applied in name order, each in one transaction. */
export type Migrations = Record<string, Migration>;

/** Where the projection stands: one row, moved in the transaction of every change it makes. */
const checkpointTable: Migration = {
  async up(db) {
    await db.schema
      .createTable('checkpoint')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('log_id', 'text')
      .execute();
    await db.insertInto('checkpoint').values({ id: 1, seq: 0, log_id: null }).execute();
  },
};

const KYSELY_TABLES = /^kysely_migration/;

/**
 * Empties every table of the projection and moves its checkpoint back to seq 0, so it is rebuilt from the
 * log. A migration that changes what a projection holds ends with it.
 */
export async function emptyProjection(db: SchemaDb): Promise<void> {
  for (const table of await db.introspection.getTables()) {
    if (table.name !== 'checkpoint' && !KYSELY_TABLES.test(table.name)) await db.deleteFrom(table.name).execute();
  }
  await db.updateTable('checkpoint').set({ seq: 0, log_id: null }).where('id', '=', 1).execute();
}

/**
 * Brings the schema up to date. A database whose history this version does not know (made by a newer
 * version, or from migrations since removed) cannot be migrated: it is dropped and made afresh, and the
 * projection rebuilt from the log.
 */
export async function migrate(db: SchemaDb, migrations: Migrations, logger?: Logger): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ '0000-checkpoint': checkpointTable, ...migrations }) } });
  let outcome = await migrator.migrateToLatest();
  if (outcome.error instanceof Error && /corrupted migrations/.test(outcome.error.message)) {
    logger?.warn({ reason: outcome.error.message }, 'the database was made by another version: dropping it to rebuild from the log');
    await dropEverything(db);
    outcome = await migrator.migrateToLatest();
  }
  if (outcome.error) throw outcome.error;
  const applied = (outcome.results ?? []).map((r) => r.migrationName);
  if (applied.length > 0) logger?.info({ applied }, 'migrated the database');
}

async function dropEverything(db: SchemaDb): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const table of await tx.introspection.getTables({ withInternalKyselyTables: true })) {
      await sql`drop table ${sql.table(table.name)}`.execute(tx);
    }
  });
}
