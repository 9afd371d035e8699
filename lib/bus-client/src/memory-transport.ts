// A log kept in this process's memory, behind the same BusTransport as the real ones: the SDK's own tests run on
// it, and a tool can run a service's state without a bus. It follows subscribers as a pull transport does.
import { randomUUID } from 'node:crypto';
import { EventRefusedError } from './errors';
import { MAX_EVENT_BYTES, type BusEvent, type NewEvent, type PubAck } from './events';
import type { BusTransport, DeliveryTarget, LogPage, SubscriptionState } from './transport';

/** One subscriber the log follows: how far it acknowledged, and its deliveries. */
interface Follower {
  name: string;
  target: DeliveryTarget;
  cursor: number;
  retries: number;
  lastError?: { message: string; at: string };
  sending: boolean;
  retry?: NodeJS.Timeout;
}

export class MemoryTransport implements BusTransport {
  readonly url: string;
  private logId = randomUUID();
  private events: BusEvent[] = [];
  private seqOf = new Map<string, number>();
  private readonly followers: Follower[] = [];
  private closed = false;

  constructor(name = 'log') {
    this.url = `memory:${name}`;
  }

  async append(events: NewEvent[]): Promise<PubAck[]> {
    events.forEach((event, index) => {
      const bytes = Buffer.byteLength(JSON.stringify(event));
      if (bytes > MAX_EVENT_BYTES) throw new EventRefusedError(`event ${index} would be stored as ${bytes} bytes; one event may have ${MAX_EVENT_BYTES}`);
    });
    const acks = events.map((event) => {
      const id = event.id ?? randomUUID();
      const held = this.seqOf.get(id);
      if (held !== undefined) return { id, seq: held, duplicate: true };
      const seq = this.events.length + 1;
      this.events.push(structuredClone({ ...event, id, seq, at: new Date().toISOString() }));
      this.seqOf.set(id, seq);
      return { id, seq, duplicate: false };
    });
    for (const follower of this.followers) this.deliver(follower);
    return acks;
  }

  async read(after: number, limit: number): Promise<LogPage> {
    return { events: structuredClone(this.events.slice(after, after + limit)), logId: this.logId, head: this.events.length };
  }

  /** Delivers what the log takes after `after()` to `target`, a batch at a time, until close(). */
  follow(target: DeliveryTarget, after: () => number): void {
    const follower: Follower = { name: `follower-${this.followers.length + 1}`, target, cursor: after(), retries: 0, sending: false };
    this.followers.push(follower);
    this.deliver(follower);
  }

  async subscriptions(): Promise<SubscriptionState[]> {
    return this.followers.map(({ name, cursor, retries, lastError }) => ({ name, cursor, backlog: this.events.length - cursor, retries, lastError }));
  }

  /** Starts a new, empty log in place of this one: what a bus without a log file does on restart. */
  replace(): void {
    this.logId = randomUUID();
    this.events = [];
    this.seqOf = new Map();
    for (const follower of this.followers) follower.cursor = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const follower of this.followers) clearTimeout(follower.retry);
  }

  private deliver(follower: Follower): void {
    if (this.closed || follower.sending || follower.cursor >= this.events.length) return;
    follower.sending = true;
    const batch = structuredClone(this.events.slice(follower.cursor, follower.cursor + 1000));
    follower.target.receive(batch, { logId: this.logId, head: this.events.length }).then(
      ({ ack }) => {
        follower.sending = false;
        follower.cursor = Math.max(follower.cursor, ack);
        follower.lastError = undefined;
        this.deliver(follower);
      },
      (err: unknown) => {
        follower.sending = false;
        follower.retries++;
        follower.lastError = { message: err instanceof Error ? err.message : String(err), at: new Date().toISOString() };
        follower.retry = setTimeout(() => this.deliver(follower), 50);
        follower.retry.unref();
      },
    );
  }
}
