// A real bus for tests: the bus's own app and an in-memory log on a free loopback port.
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BusEvent, Handler } from '@posts/bus-client';
import { RequestSigner, SignatureGuard } from '@posts/bus-client/signing';
import pino from 'pino';
import { createApp } from './app';
import { Delivery, type DeliveryOptions } from './delivery';
import { EventLog } from './log';

export interface TestBusOptions extends DeliveryOptions {
  /** BUS_SECRET: only signed publishes and reads are taken, and deliveries are signed. Unset is open mode. */
  secret?: string;
}

export interface TestBus {
  url: string;
  log: EventLog;
  /** What refuses unsigned requests (and counts them) when the bus has a secret. */
  guard: SignatureGuard;
  /** Every event in the log, parsed. */
  events(): Array<{ id: string; seq: number; type: string; data: Record<string, unknown>; requestId?: string }>;
  close(): Promise<void>;
}

/** Starts a bus on 127.0.0.1; `subscribers` get deliveries as in production. */
export async function startTestBus(subscribers: string[] = [], log = EventLog.inMemory(), port = 0, options: TestBusOptions = {}): Promise<TestBus> {
  const { secret, ...delivery } = options;
  const logger = pino({ level: 'silent' });
  const signer = secret ? new RequestSigner(secret) : undefined;
  const guard = new SignatureGuard(signer, logger);
  const deliveries = subscribers.map((url) => new Delivery(url, log, logger, { backoffBaseMs: 20, backoffCapMs: 200, signer, ...delivery }));
  log.on('durable', () => deliveries.forEach((d) => d.kick()));
  deliveries.forEach((d) => d.kick());
  const server: Server = await new Promise((resolve) => {
    const s = createApp({ log, deliveries, logger, guard }).listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    guard,
    events: () => log.linesAfter(0).map((line) => JSON.parse(line)),
    async close() {
      await Promise.all(deliveries.map((d) => d.stop()));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Waits until `check()` holds, polling; throws after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let collect: (() => void) | undefined;
/** A full collection now, to measure what the heap holds rather than when the collector last ran. */
export function gc(): void {
  // Exposed on first use only, so tests that never measure run with the flags they had.
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

/** A uuid (v4 in shape) made from `key`: the same key, the same id. */
export const uuid = (key: string) => {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore'.split(' ');
/** 40 to 120 characters, as comments go. */
const contentOf = (i: number) => {
  let text = '';
  while (text.length < 40 + (i % 81)) text += `${words[(i + text.length) % words.length]} `;
  return text.trim();
};

/**
 * Applies the log of `count` comments over `posts` posts the way the subscriber does: each delivery of events
 * parsed from JSON (so every string is its own, as off the wire), each event checked by its handler's schema.
 * Each comment is created, then moderated, then updated, as the system does it; events of a type without a handler are skipped.
 * Answers the characters of the comments' ids and contents: what a store cannot do without.
 */
export function applyLog(handlers: Handler[], posts: number, count: number, from = 0): number {
  let textChars = 0;
  const byType = new Map<string, Handler>(handlers.map((h) => [h.type, h]));
  const at = new Date().toISOString();
  let seq = 0;
  const event = (type: string, data: { id: string } & Record<string, unknown>, requestId: string): BusEvent => ({
    id: `${type}:${data.id}`,
    seq: ++seq,
    type,
    data,
    at,
    requestId,
  });
  const postIds = Array.from({ length: posts }, (_, p) => uuid(`post ${p}`));
  const log = postIds.map((id) => event('PostCreated', { id, title: `Post ${id}` }, uuid(`request for ${id}`)));
  for (let i = from; i < from + count; i++) {
    const comment = { id: uuid(`comment ${i}`), postId: postIds[i % posts], content: contentOf(i) };
    textChars += comment.id.length + comment.content.length;
    const requestId = uuid(`request ${i}`);
    const verdict = i % 10 === 0 ? 'rejected' : 'approved';
    log.push(event('CommentCreated', { ...comment, status: 'pending' }, requestId));
    log.push(event('CommentModerated', { ...comment, status: verdict }, requestId));
    log.push(event('CommentUpdated', { ...comment, status: verdict }, requestId));
  }
  for (let i = 0; i < log.length; i += 3000) {
    for (const e of JSON.parse(JSON.stringify(log.slice(i, i + 3000))) as BusEvent[]) {
      const handler = byType.get(e.type);
      if (!handler) continue;
      const data = handler.schema.parse(e.data);
      handler.apply(data, { ...e, data });
    }
  }
  return textChars;
}

/**
 * Applies the log of `count` comments in `posts` posts to a new store, and answers it with the heap it holds a comment:
 * `perComment` in all, `overhead` beyond the text of each comment (its id and content).
 */
export function heapPerComment<S>(createStore: () => S, handlers: (store: S) => Handler[], posts: number, count: number) {
  applyLog(handlers(createStore()), posts, 1000, 1_000_000); // warm up: code compiled and loaded, not measured
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = createStore();
  const textChars = applyLog(handlers(store), posts, count);
  gc();
  const perComment = (process.memoryUsage().heapUsed - before) / count;
  return { store, perComment, overhead: perComment - textChars / count };
}
