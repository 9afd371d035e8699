import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SqliteAdapter, SqliteDialect, type DialectAdapter, type SqliteDatabase, type SqliteStatement } from 'kysely';
import Database from 'libsql';

/** SQLite runs schema changes inside transactions; Kysely's adapter says it may not, to be safe for every driver. */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class EmbeddedDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }
}

/**
 * An embedded SQLite database at `file` (`:memory:` for one that lives with the process). Each SQL text is
 * prepared once and kept: libsql's statements hold native memory that the garbage collector does not see.
 */
export function sqliteDialect(file: string): SqliteDialect {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  // Write-ahead logging: readers do not wait for a writer. `synchronous = NORMAL` survives a crash of the
  // process; a power cut may lose the last commits, which the log still holds and the checkpoint replays.
  db.exec('pragma journal_mode = wal; pragma synchronous = normal; pragma busy_timeout = 5000');
  const prepared = new Map<string, SqliteStatement>();
  const database: SqliteDatabase = {
    close: () => db.close(),
    prepare(sql) {
      let statement = prepared.get(sql);
      if (!statement) prepared.set(sql, (statement = db.prepare(sql) as unknown as SqliteStatement));
      return statement;
    },
  };
  return new EmbeddedDialect({ database });
}
