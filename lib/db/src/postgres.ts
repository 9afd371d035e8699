import { PostgresDialect, type PostgresPool } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { asUnavailable } from './errors';

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
  const fail = (err: unknown) => Promise.reject(asUnavailable(err));
  // The pool as Kysely asks for it, with a server that is away said as DatabaseUnavailableError.
  const guarded: PostgresPool = {
    async connect() {
      const client = await pool.connect().catch(fail);
      // The server may end a connection while Kysely holds it between two statements: said here, not thrown at
      // the process, and the connection is thrown away when released.
      let broken: Error | undefined;
      const lost = (err: Error) => {
        broken = err;
        logger?.warn({ err: err.message }, 'database connection lost');
      };
      client.on('error', lost);
      return {
        query: ((...args: unknown[]) => {
          const answer: unknown = Reflect.apply(client.query, client, args);
          return answer instanceof Promise ? answer.catch(fail) : answer; // a cursor, for streams, is not a promise
        }) as typeof client.query,
        release: () => {
          client.off('error', lost);
          client.release(broken);
        },
      };
    },
    end: () => pool.end(),
  };
  return new PostgresDialect({ pool: guarded });
}
