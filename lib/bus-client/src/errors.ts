// The SDK's errors carry their own answer (status, code, `answerable`), so a service's error
// handler answers them well without knowing the bus.
import { HttpError } from '@posts/kit';

/**
 * The bus could not be reached. `maybeStored` is false when no attempt reached it (nothing
 * was stored); true when one failed after sending (it may have been stored before the bus
 * died), which only a retry with the same id can settle.
 */
export class BusUnavailableError extends Error {
  readonly answerable = true;
  readonly status = 503;
  readonly code: 'unavailable' | 'outcome_unknown';
  constructor(
    readonly detail: string,
    readonly maybeStored = false,
  ) {
    super(
      maybeStored
        ? 'The event bus failed while storing this; it may have been stored. Retry with the same Idempotency-Key.'
        : 'The event bus is unreachable; nothing was stored. Try again.',
    );
    this.code = maybeStored ? 'outcome_unknown' : 'unavailable';
  }
}

/** The bus refused an event (our bug, not the bus's weather): retrying would not help. A 500 to callers. */
export class EventRefusedError extends Error {}

/** An error the kit's error handler answers with `status` and `code`, whatever service it reaches. */
const answered = (status: number, code: string) =>
  class extends HttpError {
    constructor(message: string) {
      super(status, code, message);
    }
  };

/** A delivery that is not events. */
export class InvalidDeliveryError extends answered(400, 'invalid_event') {}

/** A delivery claims seqs the log does not have: nothing of it is applied. */
export class SeqAheadOfLogError extends answered(409, 'seq_ahead_of_log') {}

/** A request that does not prove it knows the bus secret: refused before it changes anything. */
export class UnauthorizedError extends answered(401, 'unauthorized') {}

/** Events from another log than the one the state was built from: `logs` are the two logs' ids. */
export class LogReplacedError extends answered(409, 'log_replaced') {
  constructor(
    message: string,
    readonly logs?: { was: string; now: string },
  ) {
    super(message);
  }
}

/** What went wrong, for a log line: the cause behind a user-facing message where there is one. */
export function describeError(err: unknown): string {
  if (err instanceof BusUnavailableError) return err.detail;
  return err instanceof Error ? err.message : String(err);
}
