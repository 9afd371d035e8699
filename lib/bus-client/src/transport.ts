import type { Router } from 'express';
import type { BusEvent, NewEvent, PubAck } from './events';

/** Where the log stood when it answered or delivered: its identity and its last seq, where the transport knows them. */
export interface LogPosition {
  logId?: string;
  head?: number;
}

/** A page of the log: events in `seq` order, with where the log stood. */
export interface LogPage extends LogPosition {
  events: BusEvent[];
  /** The last seq the page covers, where the log may have gaps (messages deleted from a stream). */
  through?: number;
}

/** One subscriber as the log sees it: how far it has taken the log, and how its deliveries go. */
export interface SubscriptionState {
  /** Who: the subscriber's delivery URL on the bus; on JetStream, its consumer's name (which starts with the service's name). */
  name: string;
  /** The last seq it has acknowledged. */
  cursor: number;
  /** Events in the log after its cursor. */
  backlog: number;
  /** Deliveries sent again: retries on the bus, redeliveries on JetStream. */
  retries: number;
  /** While its last delivery failed: why, and when (ISO time). */
  lastError?: { message: string; at: string };
}

/** What takes pushed events: the subscriber. */
export interface DeliveryTarget {
  /** Applies a delivery (one event or several, unchecked) sent by the log at `from`, and answers the last `seq` applied. */
  receive(delivery: unknown, from?: LogPosition): Promise<{ ack: number }>;
}

/**
 * How the SDK reaches a log. A transport is one module: it stores, reads and delivers, and
 * turns its own failures into BusUnavailableError (unreachable) or EventRefusedError (refused).
 */
export interface BusTransport {
  /** Where the log is, for messages. */
  readonly url: string;
  /** Stores the events whose id the log does not hold yet; answers one ack per event, in order. */
  append(events: NewEvent[]): Promise<PubAck[]>;
  /** At most `limit` events with `seq > after`, in order (fewer when a page is capped in bytes). */
  read(after: number, limit: number): Promise<LogPage>;
  /** A push transport takes deliveries on the service's own server, and hands them to `target`. */
  attach?(router: Router, target: DeliveryTarget): void;
  /** A pull transport follows the log live once the subscriber caught up, from `after()` on, until close(). */
  follow?(target: DeliveryTarget, after: () => number): void;
  /** Every subscriber of the log, as the log sees it (for metrics and the console). */
  subscriptions?(): Promise<SubscriptionState[]>;
  /** Where the log keeps one subscription per process (a pull transport's consumer): this process's own. */
  ownSubscription?(): Promise<SubscriptionState | undefined>;
  close(): Promise<void>;
}
