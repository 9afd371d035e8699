/**
 * The database cannot be used now: its server is away or restarting, or its disk is full. Answered 503 by
 * the kit's error handler: nothing was changed, and trying again later will do. `afterPublish`: the event
 * is in the log, but the service's own database could not take it yet; a retry with the same
 * Idempotency-Key answers it once the database is back.
 */
export class DatabaseUnavailableError extends Error {
  readonly answerable = true;
  readonly status = 503;
  readonly code: 'unavailable' | 'outcome_unknown';
  constructor(
    readonly detail: string,
    afterPublish = false,
  ) {
    super(
      afterPublish
        ? 'Stored in the log, but this service cannot record it yet. Retry with the same Idempotency-Key.'
        : "The service's database is unavailable; nothing was changed. Try again.",
    );
    this.code = afterPublish ? 'outcome_unknown' : 'unavailable';
  }
}

/** For a write the log already holds: a database that cannot take it now says so as such. */
export function recordedAfterPublish(err: unknown): never {
  if (err instanceof DatabaseUnavailableError) throw new DatabaseUnavailableError(err.detail, true);
  throw err;
}

// PostgreSQL's classes 08 (connection), 53 (resources: disk full, memory, connections) and 57P (shutting down, starting up).
const POSTGRES_UNAVAILABLE = /^(08|53|57P)/;
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
// pg's own words for a connection it lost or never made.
const PG_CONNECTION = /timeout exceeded when trying to connect|Connection terminated|Query read timeout|not queryable|connection error/i;
// SQLite: the disk is full, cannot be read or written, or another writer holds the file past the busy timeout.
const SQLITE_UNAVAILABLE = new Set(['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_BUSY', 'SQLITE_READONLY']);

/** `err` as DatabaseUnavailableError when it says the database is away rather than that the query was wrong. */
export function asUnavailable(err: unknown): unknown {
  // Read by shape, not `instanceof Error`: an error made by Node's own sockets may come from another realm.
  const { code = '', message = '' } = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const [said, text] = [String(code), String(message)];
  const away = POSTGRES_UNAVAILABLE.test(said) || NETWORK.has(said) || SQLITE_UNAVAILABLE.has(said) || (said === '' && PG_CONNECTION.test(text));
  return away ? new DatabaseUnavailableError(`${said || 'connection'}: ${text}`) : err;
}
