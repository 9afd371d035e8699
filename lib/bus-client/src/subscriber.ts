import type { Router } from 'express';
import { backoff, sleep } from '@posts/kit';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EventType } from './event-type';
import { memoryState, type StateStore } from './state';
import { describeError, InvalidDeliveryError, LogReplacedError, SeqAheadOfLogError } from './errors';
import { watchSubscriber } from './metrics';
import { deliverySchema, type BusEvent } from './events';
import { attachRebuild } from './rebuild-route';
import { attachState } from './state-route';
import { traceProcess } from './tracing';
import type { BusTransport, DeliveryTarget, LogPosition } from './transport';

/** How one event type is checked and applied, within the transaction `tx` of its state. */
export interface Handler<D = unknown, Tx = unknown> {
  type: string;
  schema: z.ZodType<D, unknown>;
  /** `event.traceparent`, of an event pushed live, is its processing's: a reaction published under it continues the trace. */
  apply(data: D, event: BusEvent<D>, tx: Tx): unknown;
}

/** Applies events of one type: `on(CommentCreated, (data, event, tx) => …)`. */
export function on<D, Tx = unknown>(type: EventType<D>, apply: (data: D, event: BusEvent<D>, tx: Tx) => unknown): Handler<D, Tx> {
  return { type: type.type, schema: type.schema, apply };
}

export interface SubscriberOptions<Tx = unknown> {
  handlers: Handler<unknown, Tx>[];
  /** Where the state and its checkpoint are kept (by default in memory, from seq 0 at every start). */
  state?: StateStore<Tx>;
  /**
   * Pays what the service owes (reactions), from its state. Called after catching up and
   * after every applied batch, never twice at once; if it throws, it is called again later.
   */
  react?: () => Promise<void>;
  /** Who it is in the metrics: the service's name. */
  name?: string;
  logger?: Logger;
  /** Events per page when reading the log. */
  pageSize?: number;
}

/**
 * Applies the log to a service's state in `seq` order, whether the events arrive pushed by the bus
 * or pulled from it: each delivery or page in one transaction with the checkpoint. A seen `seq` is
 * acknowledged and ignored; a `seq` past a gap makes it pull the missing range first.
 */
export class Subscriber<Tx = unknown> implements DeliveryTarget {
  /** The last `seq` applied and committed: every event up to it is in the state. */
  lastSeq = 0;
  /** Caught up with the log since start (or since the last rebuild began). */
  ready = false;
  /** While the state is thrown away and replayed from the log. */
  rebuilding = false;
  /** The log's last seq, as the last page or delivery said (for metrics). */
  logHead = 0;
  /** Events applied since start, by type (for metrics: plain counts on the hot path). */
  readonly appliedByType = new Map<string, number>();
  /** Runs of `react` that threw since start (for metrics). */
  reactionsFailed = 0;
  /**
   * Settles with the error this subscriber cannot go on from: the log came back as another log (a bus
   * without a log file restarted), so the state was built from a log that is gone. Whoever runs the
   * service decides (the kit's runner exits, to be restarted and rebuilt from the new log) rather
   * than ignore new events whose seqs it has "seen"; until then every delivery is refused.
   */
  readonly failure: Promise<LogReplacedError>;
  private fail!: (err: LogReplacedError) => void;
  private readonly unwatch: () => void;
  /** The id of the log the state was built from (its first event's id). */
  private logId: string | undefined;
  private readonly handlers = new Map<string, Handler<unknown, Tx>>();
  private readonly state: StateStore<Tx>;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** The state's checkpoint has been read: `lastSeq` is where the state stands. */
  private resumed = false;
  private reacting: Promise<void> | null = null;
  private reactAgain = false;
  private reactFailures = 0;
  private reactRetry: NodeJS.Timeout | null = null;

  constructor(
    private readonly transport: BusTransport,
    private readonly options: SubscriberOptions<Tx>,
  ) {
    for (const handler of options.handlers) this.handlers.set(handler.type, handler);
    this.state = options.state ?? (memoryState() as StateStore<never>);
    this.failure = new Promise((resolve) => (this.fail = resolve));
    this.unwatch = watchSubscriber(options.name ?? 'subscriber', this, transport);
  }

  private get logger() {
    return this.options.logger;
  }

  private get pageSize() {
    return this.options.pageSize ?? 5000;
  }

  /** Takes deliveries on the service's own server, where the transport pushes them; says where its state stands; asks to rebuild. */
  attach(router: Router): void {
    this.transport.attach?.(router, this);
    attachState(router, this);
    attachRebuild(router, this);
  }

  /** What the state is kept in and the bytes that takes; undefined for a state that does not say (one in memory). */
  async describeState(): Promise<{ kind: string; bytes: number } | undefined> {
    return this.state.describe?.();
  }

  /** Resumes from the state's checkpoint and catches up with the log (retrying while the bus is away), then is ready. */
  async start(): Promise<void> {
    await this.catchUpPatiently();
    if (this.stopped) return;
    this.transport.follow?.(this, () => this.lastSeq);
    this.kickReact();
  }

  /** Catches up, trying again while the log or the state's database is away, then is ready. */
  private async catchUpPatiently(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.catchUp();
        this.ready = true;
        this.logger?.info({ lastSeq: this.lastSeq }, 'caught up with the event log');
        return;
      } catch (err) {
        if (err instanceof LogReplacedError) throw err;
        this.logger?.warn({ err: describeError(err), attempt }, 'cannot catch up with the event log yet; retrying');
        await sleep(backoff(attempt, 200, 5_000));
      }
    }
  }

  /** Throws the state away and replays the whole log into it, not ready meanwhile; resolves once it has caught up again. */
  async rebuild(): Promise<void> {
    if (this.rebuilding) return;
    this.rebuilding = true;
    this.ready = false;
    try {
      await this.serially(() => {
        this.logger?.warn({ lastSeq: this.lastSeq }, 'rebuilding the state from the log');
        return this.resetState();
      });
      await this.catchUpPatiently();
    } finally {
      this.rebuilding = false;
    }
    this.kickReact();
  }

  /** Pulls and applies everything the log holds past `lastSeq`, then pays what that brought in. */
  catchUp(): Promise<void> {
    return this.serially(async () => {
      await this.pull(Infinity);
      if (this.ready) this.kickReact();
    });
  }

  /**
   * Takes a delivery (one event or an array) and answers the acknowledgement: the last `seq`
   * applied. Rejects with InvalidDeliveryError for a body that is not events, and with
   * SeqAheadOfLogError for a `seq` the log does not have yet, or past the head it was sent with.
   */
  receive(body: unknown, from: LogPosition = {}): Promise<{ ack: number }> {
    const parsed = deliverySchema.safeParse(body);
    if (!parsed.success) return Promise.reject(new InvalidDeliveryError(z.prettifyError(parsed.error)));
    const events = (Array.isArray(parsed.data) ? parsed.data : [parsed.data]).sort((a, b) => a.seq - b.seq);
    const last = events.at(-1)?.seq ?? 0;
    // Even the bus's own delivery cannot claim what its log does not hold: nothing of it is applied.
    if (from.head !== undefined && last > from.head) {
      return Promise.reject(new SeqAheadOfLogError(`seq ${last} is past the head of the log that sent it (${from.head})`));
    }
    if (from.head !== undefined && from.head > this.logHead) this.logHead = from.head;
    return this.serially(async () => {
      this.checkLog(from.logId);
      // A run of events that follow the checkpoint without a gap, applied in one transaction.
      let run: BusEvent[] = [];
      for (const event of events) {
        const reached = this.lastSeq + run.length;
        if (event.seq <= reached) continue;
        if (event.seq > reached + 1) {
          await this.applyAll(run, reached, true);
          run = [];
          await this.pull(event.seq - 1);
          if (event.seq <= this.lastSeq) continue;
          if (event.seq > this.lastSeq + 1) throw new SeqAheadOfLogError(`seq ${event.seq} is past the end of the log (${this.lastSeq})`);
        }
        run.push(event);
      }
      await this.applyAll(run, this.lastSeq + run.length, true);
      if (this.ready) this.kickReact();
      return { ack: this.lastSeq };
    });
  }

  /** Stops reacting and waits for what is under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch();
    if (this.reactRetry) clearTimeout(this.reactRetry);
    await this.queue.catch(() => undefined);
    await this.reacting;
  }

  /** Runs `work` after what is under way, once the checkpoint has been taken up. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const resumeThenWork = async () => {
      if (!this.resumed) await this.resume();
      return work();
    };
    const next = this.queue.then(resumeThenWork, resumeThenWork);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Pulls pages from the log until `upTo` (inclusive) or its end. */
  private async pull(upTo: number): Promise<void> {
    while (this.lastSeq < upTo) {
      const limit = Math.min(this.pageSize, upTo - this.lastSeq);
      const before = this.lastSeq;
      const { events: page, logId, head, through } = await this.transport.read(this.lastSeq, limit);
      this.checkLog(logId);
      if (head !== undefined) this.logHead = head;
      // A page comes from the log itself, in order: a seq it skips was deleted, not missed.
      const fresh = page.filter((event) => event.seq > this.lastSeq);
      await this.applyAll(fresh, Math.max(this.lastSeq, fresh.at(-1)?.seq ?? 0, through ?? 0));
      // A page may be short because it was capped in bytes: the end is the log's head.
      const end = head ?? (page.length < limit ? this.lastSeq : Infinity);
      if (this.lastSeq === before || this.lastSeq >= Math.min(upTo, end)) return;
    }
  }

  /** Takes up where the state stands: its checkpoint, or a rebuild if it was built from another log than this one. */
  private async resume(): Promise<void> {
    const { seq, logId } = await this.state.checkpoint();
    if (seq > 0) {
      const { logId: now, head } = await this.transport.read(0, 1);
      // Another log: its first event is another, or it ends before the state's checkpoint.
      if ((logId && now && logId !== now) || (head !== undefined && head < seq)) {
        this.logger?.warn({ was: logId, now, lastSeq: seq, head }, 'the state was built from another log: rebuilding it');
        await this.resetState();
      } else {
        this.lastSeq = seq;
        this.logId = logId ?? now;
        this.logger?.info({ lastSeq: seq }, `resumed at seq ${seq}`);
      }
    }
    this.resumed = true;
  }

  private async resetState(): Promise<void> {
    await this.state.reset();
    this.lastSeq = 0;
    this.logId = undefined;
  }

  private checkLog(logId: string | undefined): void {
    if (!logId) return;
    if (this.lastSeq === 0 || !this.logId) {
      this.logId = logId;
      return;
    }
    if (logId === this.logId) return;
    const err = new LogReplacedError('These events come from another log than the one this service was built from.', { was: this.logId, now: logId });
    this.fail(err);
    throw err;
  }

  /**
   * Applies `events` (in seq order, following the checkpoint) and moves the checkpoint to `through`, in
   * one transaction; the subscriber's `lastSeq` moves only once it is committed. Events pushed live are
   * `traced` (a catch-up replaying the log adds nothing to old traces).
   */
  private async applyAll(events: BusEvent[], through: number, traced = false): Promise<void> {
    if (through <= this.lastSeq) return;
    const applied: string[] = [];
    await this.state.transaction({ seq: through, logId: this.logId }, async (tx) => {
      applied.length = 0; // a transaction a store retries starts again
      for (const event of events) if (await this.apply(event, tx, traced)) applied.push(event.type);
    });
    this.lastSeq = through;
    for (const type of applied) this.appliedByType.set(type, (this.appliedByType.get(type) ?? 0) + 1);
  }

  /** Applies one event in `tx`; answers whether a handler took it. */
  private async apply(event: BusEvent, tx: Tx, traced: boolean): Promise<boolean> {
    // A Map, not an object: an event typed "constructor" or "__proto__" finds no handler.
    const handler = this.handlers.get(event.type);
    if (!handler) return false;
    const data = handler.schema.safeParse(event.data);
    if (!data.success) {
      // A malformed event can't be fixed by retrying; skipping it keeps the queue moving.
      this.logger?.error({ seq: event.seq, type: event.type, requestId: event.requestId, issues: data.error.issues }, 'invalid event skipped');
      return false;
    }
    if (traced) await traceProcess(event, this.transport.url, (traceparent) => handler.apply(data.data, { ...event, data: data.data, traceparent }, tx));
    else await handler.apply(data.data, { ...event, data: data.data }, tx);
    return true;
  }

  /** Runs `react` now, or once more after the run under way. */
  private kickReact(): void {
    const react = this.options.react;
    if (!react || this.stopped) return;
    if (this.reacting) {
      this.reactAgain = true;
      return;
    }
    this.reacting = (async () => {
      do {
        this.reactAgain = false;
        try {
          await react();
          this.reactFailures = 0;
        } catch (err) {
          this.reactFailures++;
          this.reactionsFailed++;
          const delay = backoff(this.reactFailures, 200, 5_000);
          this.logger?.warn({ err: describeError(err), retryInMs: Math.round(delay) }, 'reaction failed; will retry');
          this.reactRetry = setTimeout(() => this.kickReact(), delay);
          this.reactRetry.unref();
          break;
        }
      } while (this.reactAgain && !this.stopped);
    })().finally(() => {
      this.reacting = null;
    });
  }
}
