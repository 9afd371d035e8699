// The bus's client SDK: the only code in posts.com that knows the bus speaks HTTP.
// Services publish, and hand a subscriber one handler per event type; delivery,
// ordering, gaps, catch-up and retries live here, once.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BusUnavailableError, HttpError } from './service';

export * from './service';

/** An event as the log holds it. `seq` is its position in the log: 1, 2, 3 … */
export interface BusEvent<T = unknown> {
  id: string;
  seq: number;
  type: string;
  data: T;
  at: string;
  requestId?: string;
}

/** What a publisher sends; the bus assigns `seq` and `at`. */
export interface NewEvent<T = unknown> {
  id?: string;
  type: string;
  data: T;
  requestId?: string;
}

export interface PubAck {
  id: string;
  seq: number;
  duplicate: boolean;
}

export const eventSchema = z.object({
  id: z.string().min(1).max(200),
  seq: z.number().int().positive(),
  type: z.string().min(1).max(100),
  data: z.unknown(),
  at: z.string(),
  requestId: z.string().max(200).optional(),
});
const deliverySchema = z.union([eventSchema, z.array(eventSchema).max(10_000)]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Capped exponential backoff with full jitter. */
export function backoff(attempt: number, baseMs = 100, capMs = 10_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

export interface BusOptions {
  logger?: Logger;
  /** Per-request time limit. */
  timeoutMs?: number;
  /** Events per page when reading the log. */
  pageSize?: number;
}

export class Bus {
  private readonly http: AxiosInstance;
  readonly pageSize: number;

  constructor(
    readonly url: string,
    private readonly options: BusOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 5000;
    this.http = axios.create({
      baseURL: url.replace(/\/+$/, ''),
      timeout: options.timeoutMs ?? 10_000,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
      maxRedirects: 0, // the bus never redirects; this also skips follow-redirects' wrapper
    });
  }

  /**
   * Stores one event in the log and answers its `seq`. The id makes it idempotent: a retry,
   * or a second publish of the same reaction, stores nothing new (`duplicate: true`).
   * Publishes made while a request is under way wait and go together in the next one, so a
   * busy service sends the bus a few large requests rather than many small ones.
   * Rejects with BusUnavailableError when the bus can't be reached after a few quick tries.
   */
  publish<T>(event: NewEvent<T>): Promise<PubAck> {
    return new Promise((resolve, reject) => {
      this.outbox.push({ event: { ...event, id: event.id ?? randomUUID() }, resolve, reject });
      this.sendOutbox();
    });
  }

  publishAll<T>(events: NewEvent<T>[]): Promise<PubAck[]> {
    return Promise.all(events.map((event) => this.publish(event)));
  }

  /** Reactions the bus refused (4xx) since start: each was logged once, and not sent again. */
  reactionsRefused = 0;

  /**
   * Publishes what a service owes. A reaction the bus refuses (4xx) would be refused again on
   * every retry, so it is logged with its cause, counted, and answered `null`: the caller counts
   * it as paid. Rejects only when the bus is unreachable, so the reactions are paid later.
   */
  async publishReactions<T>(events: NewEvent<T>[]): Promise<Array<PubAck | null>> {
    const outcomes = await Promise.allSettled(events.map((event) => this.publish(event)));
    const unreachable = outcomes.find((o) => o.status === 'rejected' && !(o.reason instanceof EventRefusedError));
    if (unreachable) throw (unreachable as PromiseRejectedResult).reason;
    return outcomes.map((outcome, i) => {
      if (outcome.status === 'fulfilled') return outcome.value;
      this.reactionsRefused++;
      const { id, type, requestId } = events[i];
      this.options.logger?.error({ eventId: id, type, requestId, cause: (outcome.reason as Error).message }, 'reaction refused by the bus; not retried');
      return null;
    });
  }

  private readonly outbox: Array<{ event: NewEvent & { id: string }; alone?: boolean; resolve: (ack: PubAck) => void; reject: (err: unknown) => void }> = [];
  private publishing = 0;

  private sendOutbox(): void {
    while (this.publishing < 2 && this.outbox.length > 0) {
      const batch = this.outbox.splice(0, this.outbox[0].alone ? 1 : 500);
      this.publishing++;
      this.post(batch.map((b) => b.event))
        .then(
          (acks) => {
            batch.forEach((b, i) => b.resolve(acks[i]));
            this.logPublished(batch.map((b) => b.event), acks);
          },
          (err) => {
            // One refused event must not fail the others that shared its request: alone,
            // each gets its own answer.
            if (err instanceof EventRefusedError && batch.length > 1) this.outbox.unshift(...batch.map((b) => ({ ...b, alone: true })));
            else batch.forEach((b) => b.reject(err));
          },
        )
        .finally(() => {
          this.publishing--;
          this.sendOutbox();
        });
    }
  }

  /** One line per event, carrying the request that caused it: a comment's path across the services. */
  private logPublished(events: NewEvent[], acks: PubAck[]): void {
    const logger = this.options.logger;
    if (!logger?.isLevelEnabled('info')) return;
    events.forEach((e, i) => logger.info({ requestId: e.requestId, eventId: e.id, type: e.type, seq: acks[i]?.seq, duplicate: acks[i]?.duplicate }, 'published'));
  }

  private async post(events: NewEvent[], attempts = 3): Promise<PubAck[]> {
    let maybeStored = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.http.post<PubAck[]>('/events', events)).data;
      } catch (err) {
        const status = axios.isAxiosError(err) ? err.response?.status : undefined;
        // A 4xx is our bug, not the bus's weather: retrying would not help.
        if (status !== undefined && status >= 400 && status < 500) throw new EventRefusedError(`the bus refused the event: ${describeError(err)}`);
        maybeStored ||= !neverSent(err);
        if (attempt >= attempts) throw new BusUnavailableError(`event bus unreachable at ${this.url}: ${describeError(err)}`, maybeStored);
        await sleep(backoff(attempt, 50, 500));
      }
    }
  }

  /** Events with `seq > after`, at most `limit`, in order; and the id of the log they come from. */
  async read(after: number, limit = this.pageSize): Promise<{ events: BusEvent[]; logId?: string; head?: number }> {
    const res = await this.http.get<BusEvent[]>('/events', { params: { after, limit } }).catch((err) => {
      throw new BusUnavailableError(`cannot read the event log at ${this.url}: ${describeError(err)}`);
    });
    const logId = res.headers['x-log-id'];
    const head = Number(res.headers['x-log-head']);
    return { events: res.data, logId: typeof logId === 'string' ? logId : undefined, head: Number.isInteger(head) ? head : undefined };
  }

  subscribe(options: SubscriberOptions): Subscriber {
    return new Subscriber(this, options);
  }
}

export function connect(url: string, options?: BusOptions): Bus {
  return new Bus(url, options);
}

/** How one event type is checked and applied. */
export interface Handler<S extends z.ZodType = z.ZodType> {
  schema: S;
  apply: (data: z.infer<S>, event: BusEvent<z.infer<S>>) => void;
}

/** Builds a typed handler: `on(schema, (data, event) => …)`. */
export function on<S extends z.ZodType>(schema: S, apply: Handler<S>['apply']): Handler<S> {
  return { schema, apply };
}

export interface SubscriberOptions {
  handlers: Record<string, Handler>;
  /**
   * Pays what the service owes (reactions), from its state. Called after catching up and
   * after every applied batch, never twice at once; if it throws, it is called again later.
   */
  react?: () => Promise<void>;
  /**
   * The bus came back with another log (a bus without EVENT_LOG_PATH restarted): the state
   * was built from a log that is gone. By default the process exits, to be restarted and
   * rebuilt from the new log, rather than ignore new events whose seqs it has "seen".
   */
  onLogReplaced?: () => void;
  logger?: Logger;
}

/**
 * Applies the log to a service's state, one event at a time in `seq` order, whether the
 * events arrive pushed by the bus or pulled from it. A seen `seq` is acknowledged and
 * ignored; a `seq` past a gap makes it pull the missing range first.
 */
export class Subscriber {
  /** The last `seq` applied: every event up to it is in the state. */
  lastSeq = 0;
  /** Caught up with the log at least once since start. */
  ready = false;
  /** The id of the log the state was built from (its first event's id). */
  private logId: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private reacting: Promise<void> | null = null;
  private reactAgain = false;
  private reactFailures = 0;
  private reactRetry: NodeJS.Timeout | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly options: SubscriberOptions,
  ) {}

  private get logger() {
    return this.options.logger;
  }

  /** Catches up with the log (retrying while the bus is away), then is ready. */
  async start(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.catchUp();
        this.ready = true;
        this.logger?.info({ lastSeq: this.lastSeq }, 'caught up with the event log');
        this.kickReact();
        return;
      } catch (err) {
        this.logger?.warn({ err: describeError(err), attempt }, 'cannot read the event log yet; retrying');
        await sleep(backoff(attempt, 200, 5_000));
      }
    }
  }

  /** Pulls and applies everything the log holds past `lastSeq`. */
  catchUp(): Promise<void> {
    return this.serially(async () => {
      await this.pull(Infinity);
      if (this.ready) this.kickReact();
    });
  }

  /**
   * Takes a delivery from the bus (one event or an array) and answers the acknowledgement:
   * the last `seq` applied. Throws HttpError(400) for a body that is not events, and
   * HttpError(409) for a `seq` the log does not have yet.
   */
  receive(body: unknown, logId?: string): Promise<{ ack: number }> {
    const parsed = deliverySchema.safeParse(body);
    if (!parsed.success) {
      return Promise.reject(new HttpError(400, 'invalid_event', z.prettifyError(parsed.error)));
    }
    const events = (Array.isArray(parsed.data) ? parsed.data : [parsed.data]).sort((a, b) => a.seq - b.seq);
    return this.serially(async () => {
      this.checkLog(logId);
      for (const event of events) {
        if (event.seq <= this.lastSeq) continue;
        if (event.seq > this.lastSeq + 1) await this.pull(event.seq - 1);
        if (event.seq > this.lastSeq + 1) {
          throw new HttpError(409, 'seq_ahead_of_log', `seq ${event.seq} is past the end of the log (${this.lastSeq})`);
        }
        if (event.seq === this.lastSeq + 1) this.apply(event);
      }
      if (this.ready) this.kickReact();
      return { ack: this.lastSeq };
    });
  }

  /** An Express router for the bus's deliveries: `POST /events`. */
  router(): Router {
    const router = express.Router();
    router.post('/events', express.json({ limit: '16mb' }), async (req, res) => {
      res.json(await this.receive(req.body, req.get('x-log-id')));
    });
    return router;
  }

  /** Stops reacting and waits for what is under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reactRetry) clearTimeout(this.reactRetry);
    await this.queue.catch(() => undefined);
    await this.reacting;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Pulls pages from the log until `upTo` (inclusive) or its end. */
  private async pull(upTo: number): Promise<void> {
    while (this.lastSeq < upTo) {
      const limit = Math.min(this.bus.pageSize, upTo - this.lastSeq);
      const { events: page, logId, head } = await this.bus.read(this.lastSeq, limit);
      this.checkLog(logId);
      for (const event of page) {
        if (event.seq === this.lastSeq + 1) this.apply(event);
      }
      // A page may be short because it was capped in bytes: the end is the log's head.
      const end = head ?? (page.length < limit ? this.lastSeq : Infinity);
      if (page.length === 0 || this.lastSeq >= Math.min(upTo, end)) return;
    }
  }

  private checkLog(logId: string | undefined): void {
    if (!logId) return;
    if (this.lastSeq === 0 || !this.logId) {
      this.logId = logId;
      return;
    }
    if (logId === this.logId) return;
    const replaced =
      this.options.onLogReplaced ??
      (() => {
        this.logger?.fatal({ was: this.logId, now: logId }, 'the event log was replaced; exiting to rebuild from the new one');
        process.exit(1);
      });
    replaced();
    throw new HttpError(409, 'log_replaced', 'These events come from another log than the one this service was built from.');
  }

  private apply(event: BusEvent): void {
    // Own properties only: an event typed "constructor" or "__proto__" would otherwise find
    // Object.prototype's members, throw, and stall every subscriber on it for good.
    const handler = Object.hasOwn(this.options.handlers, event.type) ? this.options.handlers[event.type] : undefined;
    if (handler) {
      const data = handler.schema.safeParse(event.data);
      if (data.success) {
        handler.apply(data.data, { ...event, data: data.data });
      } else {
        // A malformed event can't be fixed by retrying; skipping it keeps the queue moving.
        this.logger?.error({ seq: event.seq, type: event.type, requestId: event.requestId, issues: data.error.issues }, 'invalid event skipped');
      }
    }
    this.lastSeq = event.seq;
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

/** The bus answered 4xx: the event is wrong (our bug), not the bus unreachable. A 500 to callers. */
export class EventRefusedError extends Error {}

/** The request never left: the bus cannot have stored anything. */
function neverSent(err: unknown): boolean {
  const code = axios.isAxiosError(err) ? err.code : undefined;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

export function describeError(err: unknown): string {
  if (axios.isAxiosError(err)) {
    if (!err.response) return `${err.code ?? 'error'}: ${err.message}`;
    // The bus answers `{error: {code, message}}`: the cause is worth more than the status.
    const answer = (err.response.data as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    return answer ? `HTTP ${err.response.status} ${String(answer.code)}: ${String(answer.message)}` : `HTTP ${err.response.status}`;
  }
  return err instanceof Error ? err.message : String(err);
}
