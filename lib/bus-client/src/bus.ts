import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { EventRefusedError } from './errors';
import type { EventType } from './event-type';
import { publishDuration } from './metrics';
import type { NewEvent, PubAck } from './events';
import { Subscriber, type SubscriberOptions } from './subscriber';
import { tracePublish } from './tracing';
import type { BusTransport } from './transport';

export interface BusOptions {
  logger?: Logger;
  /** Events per page when reading the log. */
  pageSize?: number;
  /** The service that publishes: each event's `source`. */
  service?: string;
}

interface Outgoing {
  event: NewEvent & { id: string };
  alone?: boolean;
  /** When publish() was called (performance.now()): the publish latency runs from here. */
  started: number;
  resolve: (ack: PubAck) => void;
  reject: (err: unknown) => void;
}

/** Publishes to the log and makes subscribers, over one transport. */
export class Bus {
  readonly pageSize: number;
  /** Reactions the bus refused (4xx) since start: each was logged once, and not sent again. */
  reactionsRefused = 0;
  private readonly outbox: Outgoing[] = [];
  private publishing = 0;

  constructor(
    readonly transport: BusTransport,
    private readonly options: BusOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 5000;
  }

  get url(): string {
    return this.transport.url;
  }

  /**
   * Stores one event in the log and answers its `seq`. The id makes it idempotent: a retry,
   * or a second publish of the same reaction, stores nothing new (`duplicate: true`).
   * Publishes made while a request is under way wait and go together in the next one, so a
   * busy service sends the log a few large requests rather than many small ones.
   * Rejects with BusUnavailableError when the log can't be reached after a few quick tries.
   */
  publish<D>(type: EventType<D>, data: D, meta?: { requestId?: string; traceparent?: string }): Promise<PubAck>;
  publish<T>(event: NewEvent<T>): Promise<PubAck>;
  publish<D>(first: EventType<D> | NewEvent<D>, data?: D, meta: { requestId?: string; traceparent?: string } = {}): Promise<PubAck> {
    const given: NewEvent =
      'schema' in first ? { id: first.idOf(data as D), type: first.type, data, requestId: meta.requestId, traceparent: meta.traceparent } : first;
    const event = { ...given, id: given.id ?? randomUUID(), source: given.source ?? this.options.service };
    return tracePublish(
      event,
      this.url,
      () =>
        new Promise<PubAck>((resolve, reject) => {
          this.outbox.push({ event, started: performance.now(), resolve, reject });
          this.sendOutbox();
        }),
    );
  }

  publishAll<T>(events: NewEvent<T>[]): Promise<PubAck[]> {
    return Promise.all(events.map((event) => this.publish(event)));
  }

  /**
   * Publishes what a service owes. A reaction the bus refuses (4xx) would be refused again on
   * every retry, so it is logged with its cause, counted, and answered `null`: the caller counts
   * it as paid. Rejects only when the bus is unreachable, so the reactions are paid later.
   * A reaction given the `traceparent` its cause was processed in continues that trace.
   */
  async publishReactions<D>(type: EventType<D>, reactions: Array<{ data: D; requestId?: string; traceparent?: string }>): Promise<Array<PubAck | null>> {
    const events = reactions.map(({ data, requestId, traceparent }) => ({ id: type.idOf(data), type: type.type, data, requestId, traceparent }));
    const outcomes = await Promise.allSettled(events.map((event) => this.publish(event)));
    const unreachable = outcomes.find((o) => o.status === 'rejected' && !(o.reason instanceof EventRefusedError));
    if (unreachable) throw (unreachable as PromiseRejectedResult).reason;
    return outcomes.map((outcome, i) => {
      if (outcome.status === 'fulfilled') return outcome.value;
      this.reactionsRefused++;
      const { id, requestId } = events[i];
      this.options.logger?.error(
        { eventId: id, type: type.type, requestId, cause: (outcome.reason as Error).message },
        'reaction refused by the bus; not retried',
      );
      return null;
    });
  }

  subscribe<Tx>(options: SubscriberOptions<Tx>): Subscriber<Tx> {
    return new Subscriber(this.transport, { pageSize: this.pageSize, name: this.options.service, ...options });
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private sendOutbox(): void {
    while (this.publishing < 2 && this.outbox.length > 0) {
      const batch = this.outbox.splice(0, this.outbox[0].alone ? 1 : 500);
      this.publishing++;
      this.transport
        .append(batch.map((b) => b.event))
        .then(
          (acks) => {
            const stored = performance.now();
            batch.forEach((b, i) => {
              publishDuration().observe((stored - b.started) / 1000);
              b.resolve(acks[i]);
            });
            this.logPublished(
              batch.map((b) => b.event),
              acks,
            );
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
    events.forEach((e, i) =>
      logger.info({ requestId: e.requestId, eventId: e.id, type: e.type, seq: acks[i]?.seq, duplicate: acks[i]?.duplicate }, 'published'),
    );
  }
}
