import { existsSync, statSync } from 'node:fs';
import { Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { DatabaseSettings } from './config';
import { postgresDialect } from './postgres';
import { sqliteDialect } from './sqlite';

/** A service's database, embedded or PostgreSQL: the same queries run on both. */
export interface Database<S> {
  db: Kysely<S>;
  kind: 'embedded' | 'postgres';
  /** Where it is, for logs and the console: the file (or `:memory:`), or the PostgreSQL database's name. */
  where: string;
  /** Bytes it takes on disk. */
  size(): Promise<number>;
  close(): Promise<void>;
}

/** Opens the database the settings name; nothing is read or written until the first query. */
export function openDatabase<S>(settings: DatabaseSettings, logger?: Logger): Database<S> {
  if (settings.DATABASE_URL) {
    const db = new Kysely<S>({ dialect: postgresDialect(settings.DATABASE_URL, logger) });
    return {
      db,
      kind: 'postgres',
      where: new URL(settings.DATABASE_URL).pathname.slice(1),
      size: async () => (await sql<{ bytes: number }>`select pg_database_size(current_database()) as bytes`.execute(db)).rows[0].bytes,
      close: () => db.destroy(),
    };
  }
  const file = settings.DATABASE_PATH ?? ':memory:';
  const db = new Kysely<S>({ dialect: sqliteDialect(file) });
  return {
    db,
    kind: 'embedded',
    where: file,
    // On disk, the file and its write-ahead log: what is committed but not yet copied back into the file counts too.
    size: async () =>
      file === ':memory:'
        ? (await sql<{ bytes: number }>`select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()`.execute(db)).rows[0].bytes
        : [file, `${file}-wal`].reduce((bytes, part) => bytes + (existsSync(part) ? statSync(part).size : 0), 0),
    close: () => db.destroy(),
  };
}
