// The console API's JSON, as the server sends it and the page reads it (the page imports these types only).

/** An event as the console shows it: who, what and when, and no data but what names its subject. */
export interface LoggedEvent {
  seq: number;
  type: string;
  at: string;
  /** The service that published it, where the log says. */
  source?: string;
  requestId?: string;
  /** The post or comment it is about: its data's id. */
  subject?: string;
  /** A comment's status, in the events that carry one. */
  status?: string;
}

/**
 * A subscriber as the console shows it: by its service's name, never its address. The cursor and lag are the log's
 * view; the checkpoint, log head and database are the service's own (its `GET /state`), absent while it does not answer.
 */
export interface SubscriberView {
  name: string;
  cursor: number;
  lag: number;
  retries: number;
  state: 'caught up' | 'catching up' | 'failing' | 'rebuilding';
  lastError?: { message: string; at: string };
  /** The last seq its state holds. */
  checkpoint?: number;
  /** The log's last seq as the service last heard it: a rebuild's progress is checkpoint / logHead. */
  logHead?: number;
  /** What its state is kept in, and the bytes that takes. */
  database?: { kind: string; bytes: number };
}

/** One step of a path: an event of the log (its type), or the read model showing the result (`visible`). */
export interface Step {
  what: string;
  seq: number;
  at: string;
  source?: string;
  status?: string;
  /** Milliseconds since the step before; null for the first. */
  afterMs: number | null;
}

/** A path: its steps, and the posts and comments it is about. */
export interface Path {
  steps: Step[];
  subjects: string[];
}
