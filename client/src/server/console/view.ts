// The console's live view of the system, read only. It follows the log a small page after the last event it has
// (never the whole log), asks the log where each subscriber stands and each service where its state stands, and
// watches the read model's live stream to see when a change became visible; the pages that watch get all of it as
// server-sent events.
import type { ServerResponse } from 'node:http';
import type { BusTransport, SubscriptionState } from '@posts/bus-client';
import { sseEvents, sseFrame, sseStreams, z, type Logger, type SseReader, type SseStreams } from '@posts/kit';
import { RecentEvents, summaryOf, type Sighting } from './recent';
import type { LoggedEvent, Path, SubscriberView } from './shapes';

export interface ViewOptions {
  transport: BusTransport;
  /** query's address: its `GET /posts/live` shows each change as the read model applies it. */
  queryUrl: string;
  /** Each service's address by its name, to name subscribers and to ask where each one's state stands. */
  serviceUrls: Record<string, string>;
  logger: Logger;
  /** Events kept (and indexed for paths); older ones are read from the log a page at a time. */
  capacity?: number;
  /** Between reads of the log once caught up, and between asking where the subscribers are. */
  pollMs?: number;
  /** Between `: ping` comments on a quiet stream; a page still blocked a whole interval later is dropped. */
  heartbeatMs?: number;
  /** Nobody has looked for this long: stop reading until someone does. */
  idleMs?: number;
}

/** Events per read of the log: a small page after the last one seen. */
const PAGE = 500;
/** Events in the snapshot a page starts with. */
const SNAPSHOT = 50;
/** Longest a request waits for the console to catch up after it was idle. */
const WARM_UP_MS = 5_000;
/** Longest the console waits for a service's `GET /state`: one that does not answer in time shows none. */
const STATE_TIMEOUT_MS = 2_000;

/** A service's `GET /state` (the bus client's StateView), as far as the console shows it. */
const serviceState = z.object({
  checkpoint: z.number().int().min(0),
  logHead: z.number().int().min(0),
  rebuilding: z.boolean(),
  database: z.object({ kind: z.string().max(20), bytes: z.number().min(0) }).optional(),
});
type ServiceState = z.infer<typeof serviceState>;

/** Where a page is. */
interface Watcher {
  /** The seq of the last event it was sent; undefined until it had a snapshot. */
  cursor?: number;
  /** The subscribers' version it was last sent. */
  subscribersVersion: number;
}

export class ConsoleView {
  private readonly recent: RecentEvents;
  private readonly watchers: SseStreams<Watcher>;
  private readonly transport: BusTransport;
  private readonly logger: Logger;
  private readonly pollMs: number;
  /** Nobody has looked for this long: the console stops reading, so a blog nobody watches pays nothing for it. */
  private readonly idleMs: number;
  private readonly names: Map<string, string>;
  /** Null where the log does not say where its subscribers are. */
  private subscriberViews: SubscriberView[] | null = null;
  /** The log's last answer on where its subscribers stand; null until it gave one. */
  private subscribed: SubscriptionState[] | null = null;
  /** Each service's last `GET /state`, by its name: only those that answered it. */
  private serviceStates = new Map<string, ServiceState>();
  private subscribersVersion = 0;
  private logId?: string;
  private closed = false;
  private readonly stopped = new AbortController();
  private running: Promise<unknown> = Promise.resolve();
  /** When a page last asked for something (Date.now()). */
  private lastWanted = -Infinity;
  /** The followers waiting to be wanted again. */
  private readonly wakers = new Set<() => void>();
  /** Resolves once what is kept is up to date with the log; undefined while idle. */
  private warm?: { done: Promise<void>; resolve: () => void };

  constructor(private readonly options: ViewOptions) {
    this.transport = options.transport;
    this.logger = options.logger;
    this.recent = new RecentEvents(options.capacity);
    this.pollMs = options.pollMs ?? 300;
    this.idleMs = options.idleMs ?? 60_000;
    this.watchers = sseStreams<Watcher>({ pump: (watcher) => this.pump(watcher), heartbeatMs: options.heartbeatMs });
    this.names = new Map(Object.entries(options.serviceUrls).flatMap(([name, url]) => (URL.canParse(url) ? [[new URL(url).origin, name]] : [])));
  }

  /** Starts following the log, the subscribers, the services' states and the read model; close() stops. */
  start(): void {
    this.running = Promise.all([this.followLog(), this.followSubscribers(), this.followServiceStates(), this.followReadModel()]);
  }

  /**
   * A page looks: follow the log, the subscribers and the read model (again, after an idle minute), and resolve once
   * what is kept is up to date, or after a few seconds whatever it holds.
   */
  want(): Promise<void> {
    this.lastWanted = Date.now();
    if (!this.warm) {
      let resolve!: () => void;
      this.warm = { done: new Promise<void>((r) => (resolve = r)), resolve };
    }
    for (const wake of this.wakers) wake();
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([this.warm.done, new Promise<void>((r) => (timer = setTimeout(r, WARM_UP_MS)))]).finally(() => clearTimeout(timer));
  }

  /** Watched: a page streams, or asked within the last minute. */
  private get watched(): boolean {
    return this.watchers.size > 0 || Date.now() - this.lastWanted < this.idleMs;
  }

  /** Waits while nobody watches; true if it waited (what is kept may be stale by then). */
  private async idleWhileUnwatched(): Promise<boolean> {
    if (this.watched || this.closed) return false;
    this.warm = undefined;
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.wakers.delete(wake);
        this.stopped.signal.removeEventListener('abort', wake);
        resolve();
      };
      this.wakers.add(wake);
      this.stopped.signal.addEventListener('abort', wake);
    });
    return true;
  }

  /** The newest events, or those before `before` (read from the log), newest first; `next` is where the page after starts. */
  async page(limit: number, before?: number): Promise<{ events: LoggedEvent[]; next: number | null }> {
    if (before === undefined) {
      const events = this.recent.newest(limit);
      const oldest = events.at(-1)?.seq;
      return { events, next: oldest !== undefined && oldest > 1 ? oldest : null };
    }
    const after = Math.max(0, before - 1 - limit);
    const page = await this.transport.read(after, limit);
    const events = page.events
      .filter((e) => e.seq < before)
      .map(summaryOf)
      .reverse();
    return { events, next: after > 0 ? (events.at(-1)?.seq ?? after + 1) : null };
  }

  get subscribers(): SubscriberView[] | null {
    return this.subscriberViews;
  }

  path(id: string): Path | undefined {
    return this.recent.path(id);
  }

  /**
   * Streams to one page: a `snapshot` (the newest events and the subscribers) unless `since` (its Last-Event-ID) is
   * still among the events kept, then each new event (`log`, its seq as the id), each change of the subscribers
   * (`subscribers`) and each change the read model shows (`visible`).
   */
  stream(res: ServerResponse, since?: number): void {
    const resumable = since !== undefined && since >= this.recent.evictedUpTo && since <= this.recent.head;
    this.watchers.open(res, { cursor: resumable ? since : undefined, subscribersVersion: resumable ? -1 : 0 });
  }

  /** Ends every stream and stops following; resolves once nothing more is read. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopped.abort();
    this.watchers.close();
    await this.running;
  }

  /** Open streams, for tests. */
  get streams(): number {
    return this.watchers.size;
  }

  /** Writes what a page has not had yet, until its socket is full (it goes on at 'drain'): the cursor bounds what it waits for. */
  private pump({ state: watcher, write }: SseReader<Watcher>): void {
    const head = this.recent.head;
    if (watcher.cursor === undefined || watcher.cursor < this.recent.evictedUpTo || watcher.cursor > head) {
      // New, behind what is kept, or ahead of a replaced log: it starts again from a snapshot.
      watcher.cursor = head;
      watcher.subscribersVersion = this.subscribersVersion;
      if (!write(sseFrame('snapshot', { events: this.recent.newest(SNAPSHOT), subscribers: this.subscriberViews }, head))) return;
    }
    if (watcher.subscribersVersion !== this.subscribersVersion) {
      watcher.subscribersVersion = this.subscribersVersion;
      if (!write(sseFrame('subscribers', this.subscriberViews))) return;
    }
    for (const event of this.recent.after(watcher.cursor)) {
      watcher.cursor = event.seq;
      if (!write(sseFrame('log', event, event.seq))) return;
    }
  }

  /** Sleeps between polls; ends early on close(). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // The listener goes with the pause: one left behind per poll would pile up for as long as the server runs.
      const done = () => {
        clearTimeout(timer);
        this.stopped.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopped.signal.addEventListener('abort', done);
    });
  }

  /** Follows the log from the last `capacity` events on, a small page after the last seen each time. */
  private async followLog(): Promise<void> {
    let after: number | undefined;
    let failing = false;
    while (!this.closed) {
      if (await this.idleWhileUnwatched()) {
        // What was kept is stale: start again from the newest events.
        after = undefined;
        this.recent.clear();
        continue;
      }
      let more = false;
      try {
        if (after === undefined) {
          // Where to begin: the log's head, less what is kept.
          const { head = 0, logId } = await this.transport.read(0, 1);
          this.logId = logId;
          after = Math.max(0, head - this.recent.capacity);
        }
        const page = await this.transport.read(after, PAGE);
        if (page.logId !== undefined && this.logId !== undefined && page.logId !== this.logId) {
          this.logger.warn('the log was replaced: the console starts again from its beginning');
          this.recent.clear();
          after = undefined;
          this.watchers.pumpAll();
          continue;
        }
        this.logId ??= page.logId;
        this.recent.add(page.events.map(summaryOf));
        after = page.through ?? page.events.at(-1)?.seq ?? after;
        more = page.head !== undefined && page.head > after && page.events.length > 0;
        if (page.events.length > 0) this.watchers.pumpAll();
        if (!more) this.warm?.resolve();
        if (failing) this.logger.info('the console reads the log again');
        failing = false;
      } catch (err) {
        if (!failing) this.logger.warn({ err: (err as Error).message }, 'the console cannot read the log; trying again');
        failing = true;
      }
      if (!more) await this.pause(this.pollMs);
    }
  }

  /** Asks the log where each subscriber stands, and streams the answer when it changed. */
  private async followSubscribers(): Promise<void> {
    const subscriptions = this.transport.subscriptions?.bind(this.transport);
    if (!subscriptions) return;
    let failing = false;
    while (!this.closed) {
      if (await this.idleWhileUnwatched()) continue;
      try {
        this.subscribed = await subscriptions();
        this.showSubscribers();
        failing = false;
      } catch (err) {
        if (!failing) this.logger.warn({ err: (err as Error).message }, 'the console cannot ask the log for its subscribers; trying again');
        failing = true;
      }
      await this.pause(this.pollMs);
    }
  }

  /** Follows query's live stream, resuming after the last change it had; records when each subject was shown, and as what. */
  private async followReadModel(): Promise<void> {
    let lastId: string | undefined;
    let failing = false;
    while (!this.closed) {
      if (await this.idleWhileUnwatched()) continue;
      try {
        const res = await fetch(new URL('/posts/live', this.options.queryUrl), {
          headers: lastId === undefined ? {} : { 'last-event-id': lastId },
          signal: this.stopped.signal,
        });
        if (!res.ok || !res.body) throw new Error(`GET /posts/live answered ${res.status}`);
        if (failing) this.logger.info('the console follows the read model again');
        failing = false;
        for await (const { id, event, data } of sseEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
          if (!this.watched) break; // unwatched: hang up at the next change
          if (id !== undefined) lastId = id;
          if (event === 'post' || event === 'comment' || event === 'comment-status') this.sighted(Number(id), data);
        }
      } catch (err) {
        if (this.closed) return;
        if (!failing) this.logger.warn({ err: (err as Error).message }, 'the console cannot follow the read model; trying again');
        failing = true;
      }
      await this.pause(1000);
    }
  }

  private sighted(seq: number, data: string): void {
    const change = parseJson(data) as { id?: unknown; status?: unknown } | undefined;
    if (!Number.isSafeInteger(seq) || typeof change?.id !== 'string') return;
    const sighting: Sighting = { subject: change.id, seq, at: new Date().toISOString() };
    if (typeof change.status === 'string') sighting.status = change.status;
    this.recent.sighted(sighting);
    const text = sseFrame('visible', sighting);
    // A hint to refresh a path: a page that cannot take it now finds the sighting in the next path it asks for.
    for (const watcher of this.watchers.readers) if (!watcher.blocked && watcher.state.cursor !== undefined) watcher.write(text);
  }

  /**
   * Asks each service where its state stands, apart from the log: a service that is slow to answer (or paused) holds
   * back only its own checkpoint and database, never the cursors.
   */
  private async followServiceStates(): Promise<void> {
    if (!this.transport.subscriptions) return;
    while (!this.closed) {
      if (await this.idleWhileUnwatched()) continue;
      this.serviceStates = await this.askServiceStates();
      this.showSubscribers();
      await this.pause(this.pollMs);
    }
  }

  /** The subscribers as the log and their services last said, streamed when that changed. */
  private showSubscribers(): void {
    if (!this.subscribed) return;
    const views = this.subscribed.map((state, i) => this.viewOf(state, i));
    if (JSON.stringify(views) === JSON.stringify(this.subscriberViews)) return;
    this.subscriberViews = views;
    this.subscribersVersion++;
    this.watchers.pumpAll();
  }

  /**
   * Each service's `GET /state` by its name, asked at once; one that does not answer (or not in time) is left out.
   * Several pods behind one address answer in turn: what is shown is the last one's.
   */
  private async askServiceStates(): Promise<Map<string, ServiceState>> {
    const signal = AbortSignal.any([this.stopped.signal, AbortSignal.timeout(STATE_TIMEOUT_MS)]);
    const answers = await Promise.all(
      Object.entries(this.options.serviceUrls).map(async ([name, url]): Promise<Array<[string, ServiceState]>> => {
        try {
          const res = await fetch(new URL('/state', url), { signal, headers: { accept: 'application/json' } });
          if (!res.ok) {
            await res.body?.cancel();
            return [];
          }
          const state = serviceState.safeParse(await res.json());
          return state.success ? [[name, state.data]] : [];
        } catch {
          return [];
        }
      }),
    );
    return new Map(answers.flat());
  }

  private viewOf(state: SubscriptionState, index: number): SubscriberView {
    const name = this.nameOf(state.name, index);
    const own = this.serviceStates.get(name);
    const view: SubscriberView = {
      name,
      cursor: state.cursor,
      lag: state.backlog,
      retries: state.retries,
      state: own?.rebuilding ? 'rebuilding' : state.lastError ? 'failing' : state.backlog > 0 ? 'catching up' : 'caught up',
    };
    if (state.lastError) view.lastError = { message: this.withoutAddresses(state.lastError.message), at: state.lastError.at };
    if (own) {
      view.checkpoint = own.checkpoint;
      view.logHead = own.logHead;
      if (own.database) view.database = own.database;
    }
    return view;
  }

  /** A delivery URL's service by its origin; a JetStream consumer by the service its name starts with; else only a number. */
  private nameOf(name: string, index: number): string {
    if (URL.canParse(name)) return this.names.get(new URL(name).origin) ?? `subscriber ${index + 1}`;
    const service = [...this.names.values()].find((s) => name === s || name.startsWith(`${s}-`));
    return service ?? `subscriber ${index + 1}`;
  }

  /** An error as a public page may show it: every address replaced by its service's name (or "an address"). */
  private withoutAddresses(message: string): string {
    return message
      .replace(/\bhttps?:\/\/[^\s"',)]+/g, (url) => (URL.canParse(url) && this.names.get(new URL(url).origin)) || 'an address')
      .replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\[[0-9a-f:]+\](?::\d+)?|\b[a-z0-9-]+-srv(?::\d+)?\b/gi, 'an address');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
