// What the console remembers: the last events of the log, the read model's sightings of their subjects, and the
// indexes that find a comment's (or a request's) path among them. Bounded: the oldest are forgotten.
import type { BusEvent } from '@posts/bus-client';
import type { LoggedEvent, Path, Step } from './shapes';

/** The read model showing a subject: the change's seq (its cause's), what it showed, and when the console saw it. */
export interface Sighting {
  subject: string;
  seq: number;
  status?: string;
  at: string;
}

const text = (value: unknown, max = 200): string | undefined => (typeof value === 'string' && value.length <= max ? value : undefined);

/** The summary of a log event; `source` comes with events whose publisher says who it is. */
export function summaryOf(event: BusEvent & { source?: unknown }): LoggedEvent {
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
  const summary: LoggedEvent = { seq: event.seq, type: event.type, at: event.at };
  const source = text(event.source, 100);
  if (source) summary.source = source;
  if (event.requestId) summary.requestId = event.requestId;
  const subject = text(data.id);
  if (subject) summary.subject = subject;
  const status = text(data.status, 20);
  if (status) summary.status = status;
  return summary;
}

export class RecentEvents {
  /** Oldest first, in seq order. */
  private events: LoggedEvent[] = [];
  private readonly bySubject = new Map<string, number[]>();
  private readonly byRequest = new Map<string, number[]>();
  private readonly sightings = new Map<string, Sighting[]>();
  /** The newest seq forgotten: a reader that had only up to it has missed events. */
  evictedUpTo = 0;

  constructor(readonly capacity = 10_000) {}

  get head(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  /** Takes events newer than the head, in seq order. */
  add(events: LoggedEvent[]): void {
    for (const event of events) {
      if (event.seq <= this.head) continue;
      this.events.push(event);
      if (event.subject) push(this.bySubject, event.subject, event.seq);
      if (event.requestId) push(this.byRequest, event.requestId, event.seq);
    }
    const overflow = this.events.length - this.capacity;
    if (overflow <= 0) return;
    for (const old of this.events.splice(0, overflow)) {
      if (old.subject && !shift(this.bySubject, old.subject)) this.sightings.delete(old.subject);
      if (old.requestId) shift(this.byRequest, old.requestId);
      this.evictedUpTo = old.seq;
    }
  }

  /** Records the read model showing a subject (kept while its events are). */
  sighted(sighting: Sighting): void {
    push(this.sightings, sighting.subject, sighting);
    // A subject the log has not shown us yet (the read model is quicker than our poll) waits for its events; bounded all the same.
    if (this.sightings.size > this.capacity) this.sightings.delete(this.sightings.keys().next().value!);
  }

  /** The newest `limit` events, newest first. */
  newest(limit: number): LoggedEvent[] {
    return this.events.slice(-limit).reverse();
  }

  /** The events after `seq`, oldest first. */
  after(seq: number): LoggedEvent[] {
    return this.events.slice(this.indexAfter(seq));
  }

  /** Forgets everything: the log was replaced. */
  clear(): void {
    this.events = [];
    this.bySubject.clear();
    this.byRequest.clear();
    this.sightings.clear();
    this.evictedUpTo = 0;
  }

  /**
   * The path of a comment (or post) id, or of a request id: its events in seq order, each followed by the read model
   * showing what it changed, with the time since the step before; and the posts and comments it is about.
   * Undefined when no recent event has that id.
   */
  path(id: string): Path | undefined {
    const seqs = this.bySubject.get(id) ?? this.byRequest.get(id);
    if (!seqs) return undefined;
    const events = seqs.map((seq) => this.events[this.indexAfter(seq - 1)]);
    const subjects = new Set(events.map((e) => e.subject).filter((s) => s !== undefined));
    const sightings = [...subjects].flatMap((s) => this.sightings.get(s) ?? []).sort((a, b) => a.seq - b.seq);
    const steps: Omit<Step, 'afterMs'>[] = [];
    for (const event of events) {
      steps.push({ what: event.type, seq: event.seq, at: event.at, source: event.source, status: event.status });
      while (sightings.length > 0 && sightings[0].seq <= event.seq) {
        const { seq, status, at } = sightings.shift()!;
        steps.push({ what: 'visible', seq, at, status });
      }
    }
    return {
      steps: steps.map((step, i) => ({ ...step, afterMs: i === 0 ? null : Date.parse(step.at) - Date.parse(steps[i - 1].at) })),
      subjects: [...subjects],
    };
  }

  /** The index of the first event after `seq` (binary search: seqs rise, with gaps where a log has them). */
  private indexAfter(seq: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Drops a key's oldest value (events leave in seq order, so it is the first); false when none is left. */
function shift(map: Map<string, number[]>, key: string): boolean {
  const list = map.get(key);
  list?.shift();
  if (list?.length) return true;
  map.delete(key);
  return false;
}
