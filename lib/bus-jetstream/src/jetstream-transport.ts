// The JetStream transport: the log is one stream (subjects `events.<type>`), a publish is a
// JetStream publish with the event id as its message id, and a subscriber follows the stream
// with an ordered consumer. Same semantics as the hand-written bus, through BusTransport.
import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
  type Consumer,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import { connect, headers as messageHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { BusUnavailableError, EventRefusedError, MAX_EVENT_BYTES } from '@posts/bus-client';
import type { BusEvent, BusTransport, DeliveryTarget, LogPage, NewEvent, PubAck, SubscriptionState } from '@posts/bus-client';

export interface JetStreamTransportOptions {
  /** The stream that holds the log. */
  stream?: string;
  /** Copies of the stream when this transport creates it; by default one per server in the URL, at most 3. */
  replicas?: number;
  /**
   * How long JetStream remembers message ids to drop a duplicate publish. Ten minutes outlasts
   * every retry of a publish and a restart's re-paid reactions; past it, projections still apply
   * each event id once, so a late duplicate stored twice changes nothing.
   */
  duplicateWindowMs?: number;
  /** Per-request time limit (a publish's PubAck, a page's fetch). */
  timeoutMs?: number;
  /** Starts the name of each consumer that follows the stream (the service's name), so the stream's consumers tell whose each is. */
  consumerPrefix?: string;
  logger?: Logger;
}

interface Session {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * How long a follower's pull waits on its server. Heartbeats come every half of it, and two missed make the
 * follower start again: a pull or a consumer lost with a dead server is noticed in seconds, not nats.js's 30 s.
 */
const FOLLOW_EXPIRES_MS = 5_000;
/** A follower's requests (a new consumer): unanswered this long, there is no leader yet; asking again soon resumes soon after the election. */
const FOLLOW_REQUEST_MS = 2_000;

/** How the consumers that read one page are named: not subscribers. */
const PAGE_PREFIX = 'page-';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `nats://user:pass@host:4222,nats://host2:4222`: the servers, and the credentials of the first that has them. */
export function parseNatsUrl(url: string): { servers: string[]; user?: string; pass?: string } {
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  for (const part of url.split(',')) {
    const parsed = new URL(part.trim());
    if (parsed.protocol !== 'nats:') throw new Error(`not a nats:// URL: ${part}`);
    if (parsed.username && !user) {
      user = decodeURIComponent(parsed.username);
      pass = decodeURIComponent(parsed.password);
    }
    servers.push(`${parsed.hostname}:${parsed.port || 4222}`);
  }
  return { servers, user, pass };
}

export class JetStreamTransport implements BusTransport {
  private session: Promise<Session> | null = null;
  private streamReady: Promise<void> | null = null;
  private following: { stop(): void } | null = null;
  /** The consumer following the stream for this process, while there is one. */
  private follower: Consumer | undefined;
  private readonly stream: string;
  private readonly timeoutMs: number;

  constructor(
    readonly url: string,
    private readonly options: JetStreamTransportOptions = {},
  ) {
    this.stream = options.stream ?? 'EVENTS';
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async append(events: NewEvent[]): Promise<PubAck[]> {
    const { js } = await this.ready();
    const at = new Date().toISOString();
    const messages = events.map((event, index) => {
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(event.type))
        throw new EventRefusedError(`event ${index}: type ${JSON.stringify(event.type)} cannot be a subject token`);
      const body = encoder.encode(JSON.stringify({ id: event.id, type: event.type, data: event.data, at, requestId: event.requestId }));
      if (body.length > MAX_EVENT_BYTES)
        throw new EventRefusedError(`event ${index} would be stored as ${body.length} bytes; one event may have ${MAX_EVENT_BYTES}`);
      return { subject: `events.${event.type}`, body, id: event.id!, headers: headersOf(event) };
    });
    return Promise.all(
      messages.map(async ({ subject, body, id, headers }) => {
        try {
          const ack = await js.publish(subject, body, { msgID: id, timeout: this.timeoutMs, headers });
          return { id, seq: ack.seq, duplicate: ack.duplicate };
        } catch (err) {
          // Sent but unanswered (a timeout, a leader lost): it may be stored; a retry with the id settles it.
          throw new BusUnavailableError(`JetStream did not acknowledge ${id}: ${(err as Error).message}`, true);
        }
      }),
    );
  }

  async read(after: number, limit: number): Promise<LogPage> {
    const { js, jsm } = await this.ready();
    const info = await jsm.streams.info(this.stream).catch((err) => {
      throw new BusUnavailableError(`cannot read the stream ${this.stream}: ${(err as Error).message}`);
    });
    const head = info.state.last_seq;
    const logId = `${this.stream}@${info.created}`;
    const end = Math.min(head, after + limit);
    if (end <= after) return { events: [], logId, head };
    try {
      const consumer = await js.consumers.get(this.stream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: after + 1,
        // Named as a page, so subscriptions() can leave it out: it reads once and lingers until the server drops it.
        name_prefix: `${PAGE_PREFIX}${randomBytes(4).toString('hex')}`,
      });
      // Deleted messages leave gaps: the page ends at `end` whatever the count.
      const messages = await consumer.fetch({ max_messages: end - after, expires: this.timeoutMs });
      // The server ends a fetch at its expiry; one lost with a dead server nats.js would wait on for ever.
      const lost = setTimeout(() => messages.stop(new Error('the fetch outlived its expiry')), this.timeoutMs + 2_000);
      try {
        return { ...(await pageOf(messages, after, end)), logId, head };
      } finally {
        clearTimeout(lost);
      }
    } catch (err) {
      throw new BusUnavailableError(`cannot read the stream ${this.stream}: ${(err as Error).message}`);
    }
  }

  /** Follows the stream live from `after`, handing each event to `target` in order, until close(). */
  follow(target: DeliveryTarget, after: () => number): void {
    let stopped = false;
    let messages: ConsumerMessages | undefined;
    // Ends the consume under way: the loop starts a new consumer after the last applied seq, so nothing is skipped or applied twice.
    const restart = () => void messages?.close();
    let watched: NatsConnection | undefined;
    const run = async () => {
      while (!stopped) {
        let consumer: Consumer | undefined;
        try {
          const { nc } = await this.ready();
          if (nc !== watched) void restartOnReconnect((watched = nc), restart);
          consumer = await jetstream(nc, { timeout: FOLLOW_REQUEST_MS }).consumers.get(this.stream, {
            deliver_policy: DeliverPolicy.StartSequence,
            opt_start_seq: after() + 1,
            // A new name each round: the last round's consumer may not be deleted yet.
            name_prefix: `${this.options.consumerPrefix ?? 'follower'}-${randomBytes(4).toString('hex')}`,
          });
          this.follower = consumer;
          messages = await consumer.consume({ expires: FOLLOW_EXPIRES_MS });
          if (stopped) break;
          void endOnMissedHeartbeats(messages);
          for await (const message of messages) await target.receive(toEvent(message));
        } catch {
          // The stream moved, or the bus is away: start again after the last applied seq.
          if (!stopped) await new Promise((resolve) => setTimeout(resolve, 500));
        } finally {
          void messages?.close();
          messages = undefined;
          this.follower = undefined;
          // The next round makes a new consumer: this one goes now, not after 5 idle minutes.
          void consumer?.delete().catch(() => undefined);
        }
      }
    };
    this.following = {
      stop: () => {
        stopped = true;
        restart();
      },
    };
    void run();
  }

  /** The stream's followers, one per service process (`<service>-…`), by name; the consumers that read a page are left out. */
  async subscriptions(): Promise<SubscriptionState[]> {
    const { jsm } = await this.ready();
    try {
      const states: SubscriptionState[] = [];
      for await (const info of jsm.consumers.list(this.stream)) if (!info.name.startsWith(PAGE_PREFIX)) states.push(stateOf(info));
      // By name: a service's processes sit together, and the order holds from one listing to the next.
      return states.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      throw new BusUnavailableError(`cannot list the consumers of ${this.stream}: ${(err as Error).message}`);
    }
  }

  /** This process's follower as the stream sees it, named by its service (its consumer's name changes each round); none between rounds. */
  async ownSubscription(): Promise<SubscriptionState | undefined> {
    const follower = this.follower;
    if (!follower) return undefined;
    try {
      const state = stateOf(await follower.info());
      return { ...state, name: this.options.consumerPrefix ?? state.name };
    } catch (err) {
      throw new BusUnavailableError(`cannot read the consumer of ${this.stream}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.following?.stop();
    const session = this.session;
    this.session = null;
    if (session) await (await session.catch(() => null))?.nc.drain().catch(() => undefined);
  }

  /** Connected, with the stream there: made once, and again after a failure. */
  private async ready(): Promise<Session> {
    this.session ??= this.connect();
    const session = await this.session.catch((err) => {
      this.session = null;
      throw new BusUnavailableError(`JetStream unreachable at ${this.url}: ${(err as Error).message}`);
    });
    this.streamReady ??= this.ensureStream(session.jsm).catch((err) => {
      this.streamReady = null;
      throw err;
    });
    await this.streamReady;
    return session;
  }

  private async connect(): Promise<Session> {
    const { servers, user, pass } = parseNatsUrl(this.url);
    const nc = await connect({ servers, user, pass, name: 'posts.com', maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: this.timeoutMs });
    // JetStream may not answer yet (no metadata leader): the connection goes, rather than reconnect for ever unused.
    const jsm = await jetstreamManager(nc, { timeout: this.timeoutMs }).catch(async (err) => {
      await nc.close();
      throw err;
    });
    return { nc, js: jetstream(nc, { timeout: this.timeoutMs }), jsm };
  }

  /** Creates the stream if it is missing; an existing stream is used as it is, never changed. */
  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    try {
      await jsm.streams.info(this.stream);
      return;
    } catch (err) {
      if (!/stream not found/i.test((err as Error).message)) throw new BusUnavailableError(`cannot read the stream ${this.stream}: ${(err as Error).message}`);
    }
    try {
      await jsm.streams.add({
        name: this.stream,
        subjects: ['events.>'],
        storage: StorageType.File,
        num_replicas: this.options.replicas ?? Math.min(3, parseNatsUrl(this.url).servers.length),
        duplicate_window: (this.options.duplicateWindowMs ?? 10 * 60_000) * 1_000_000,
      });
    } catch (err) {
      // Another service created it first: that is the stream.
      if (!/already in use/i.test((err as Error).message)) throw new BusUnavailableError(`cannot create the stream ${this.stream}: ${(err as Error).message}`);
    }
  }
}

/**
 * Calls `restart` each time the connection comes back, on the same server or another. A pull, and the ordered
 * consumer (which lives on one server), may have died with the server it left: nats.js would ask that consumer
 * for its info until the server is back (no answer, then 30 s of backoff, over and over).
 */
async function restartOnReconnect(nc: NatsConnection, restart: () => void): Promise<void> {
  for await (const status of nc.status()) if (status.type === 'reconnect') restart();
}

/** Ends a consume whose server stopped sending it heartbeats (the pull or its consumer is gone), for the follower to start again. */
async function endOnMissedHeartbeats(messages: ConsumerMessages): Promise<void> {
  for await (const notice of messages.status()) if (notice.type === 'heartbeats_missed') return void messages.close();
}

/**
 * The events of a fetch up to `end`, and how far the page covers the log: through the last event it
 * holds, since a seq skipped before it is a deleted message; through `end` only once a message past it
 * came. A fetch the server ended early (its expiry on a busy server) so never claims events it did not bring.
 */
export async function pageOf(messages: AsyncIterable<StoredMessage>, after: number, end: number): Promise<{ events: BusEvent[]; through: number }> {
  const events: BusEvent[] = [];
  let through = after;
  for await (const message of messages) {
    if (message.seq > end) return { events, through: end };
    events.push(toEvent(message));
    through = message.seq;
    if (message.seq >= end) break;
  }
  return { events, through };
}

/** A consumer as a subscription: an ordered consumer acknowledges nothing, so what it was sent is how far it is. */
function stateOf(info: ConsumerInfo): SubscriptionState {
  return { name: info.name, cursor: info.delivered.stream_seq, backlog: info.num_pending, retries: info.num_redelivered };
}

/** An event's trace context and source travel as message headers, where NATS and tracing tools look for them, not in its JSON. */
const TRACEPARENT_HEADER = 'traceparent';
const SOURCE_HEADER = 'source';

function headersOf(event: NewEvent): MsgHdrs | undefined {
  if (!event.traceparent && !event.source) return undefined;
  const h = messageHeaders();
  if (event.traceparent) h.set(TRACEPARENT_HEADER, event.traceparent);
  if (event.source) h.set(SOURCE_HEADER, event.source);
  return h;
}

/** A message of the stream, as read: its headers, when it has any. */
type StoredMessage = Pick<JsMsg, 'seq' | 'data'> & { headers?: MsgHdrs };

function toEvent(message: StoredMessage): BusEvent {
  const stored = JSON.parse(decoder.decode(message.data)) as Omit<BusEvent, 'seq'>;
  const event: BusEvent = { ...stored, seq: message.seq };
  const traceparent = message.headers?.get(TRACEPARENT_HEADER);
  const source = message.headers?.get(SOURCE_HEADER);
  if (traceparent) event.traceparent = traceparent;
  if (source) event.source = source;
  return event;
}
