import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SqliteAdapter, SqliteDialect, type DialectAdapter, type SqliteDatabase, type SqliteStatement } from 'kysely';
import Database from 'libsql';
import { asUnavailable } from './errors';

/** Runs a statement, its failure to reach the file (disk full, unreadable) thrown as DatabaseUnavailableError. */
function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw asUnavailable(err);
  }
}

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
      if (!statement) {
        const made = guarded(() => db.prepare(sql));
        // SQLite rolls a transaction back itself when the disk is full: the rollback that follows has nothing left to do.
        const run =
          sql === 'rollback'
            ? () => (db.inTransaction ? made.run() : { changes: 0, lastInsertRowid: 0 })
            : (parameters: readonly unknown[]) => made.run(...parameters);
        statement = {
          reader: made.reader,
          all: (parameters) => guarded(() => made.all(...parameters)),
          run: (parameters) => guarded(() => run(parameters)) as ReturnType<SqliteStatement['run']>,
          iterate: (parameters) => guarded(() => made.iterate(...parameters)),
        };
        prepared.set(sql, statement);
      }
      return statement;
    },
  };
  return new EmbeddedDialect({ database });
}
