// For tests that measure a store: the blog's log of many comments, built as the system writes it,
// and the heap a store holds per comment.
import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CommentCreated, CommentModerated, CommentUpdated, PostCreated } from './events';
import type { EventContract } from './define';

/** What a subscriber applies for one event type (the SDK's `Handler`, as far as this needs it). */
export interface LogHandler {
  type: string;
  schema: { parse(data: unknown): unknown };
  apply(data: never, event: never, tx: never): unknown;
}

interface LoggedEvent {
  id: string;
  seq: number;
  type: string;
  data: unknown;
  at: string;
  requestId: string;
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
export function applyLog(handlers: LogHandler[], posts: number, count: number, from = 0): number {
  let textChars = 0;
  const byType = new Map<string, LogHandler>(handlers.map((h) => [h.type, h]));
  const at = new Date().toISOString();
  let seq = 0;
  const event = <D>(contract: EventContract<string, D>, data: D, requestId: string): LoggedEvent => ({
    id: contract.idOf(data),
    seq: ++seq,
    type: contract.type,
    data,
    at,
    requestId,
  });
  const postIds = Array.from({ length: posts }, (_, p) => uuid(`post ${p}`));
  const log = postIds.map((id) => event(PostCreated, { id, title: `Post ${id}` }, uuid(`request for ${id}`)));
  for (let i = from; i < from + count; i++) {
    const comment = { id: uuid(`comment ${i}`), postId: postIds[i % posts], content: contentOf(i) };
    textChars += comment.id.length + comment.content.length;
    const requestId = uuid(`request ${i}`);
    const verdict = i % 10 === 0 ? 'rejected' : 'approved';
    log.push(event(CommentCreated, { ...comment, status: 'pending' }, requestId));
    log.push(event(CommentModerated, { ...comment, status: verdict }, requestId));
    log.push(event(CommentUpdated, { ...comment, status: verdict }, requestId));
  }
  for (let i = 0; i < log.length; i += 3000) {
    for (const e of JSON.parse(JSON.stringify(log.slice(i, i + 3000))) as LoggedEvent[]) {
      const handler = byType.get(e.type);
      if (!handler) continue;
      const data = handler.schema.parse(e.data);
      (handler.apply as (data: unknown, event: unknown) => void)(data, { ...e, data });
    }
  }
  return textChars;
}

/**
 * Applies the log of `count` comments in `posts` posts to a new store, and answers it with the heap it holds a comment:
 * `perComment` in all, `overhead` beyond the text of each comment (its id and content).
 */
export function heapPerComment<S>(createStore: () => S, handlers: (store: S) => LogHandler[], posts: number, count: number) {
  applyLog(handlers(createStore()), posts, 1000, 1_000_000); // warm up: code compiled and loaded, not measured
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = createStore();
  const textChars = applyLog(handlers(store), posts, count);
  gc();
  const perComment = (process.memoryUsage().heapUsed - before) / count;
  return { store, perComment, overhead: perComment - textChars / count };
}
