import { PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';

const INT8 = 20;

/**
 * A pool of connections to the PostgreSQL database at `url`. A connection or a statement that takes too
 * long fails instead of hanging the request that waits for it (the database restarting, say).
 */
export function postgresDialect(url: string, logger?: Logger): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 3_000,
    query_timeout: 8_000,
    // Seqs and counts are bigint columns; every one of them fits a JavaScript number.
    types: { getTypeParser: (oid: number, format?: string) => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format as 'text')) },
  });
  // An idle connection the server closed (a restart): the pool drops it and opens another when asked.
  pool.on('error', (err) => logger?.warn({ err: err.message }, 'database connection lost'));
  return new PostgresDialect({ pool });
}
