import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BusEvent, Handler } from '@posts/bus-client';
import { handlers } from '../src/events';
import { createStore, type Store } from '../src/store';

// gc() on demand, to measure what the heap holds rather than when the collector last ran.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const uuid = (key: string) => {
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
 * Each comment is created, then moderated, then updated, as the system does it.
 * Answers the characters of the comments' ids and contents: what a store cannot do without.
 */
function applyLog(store: Store, posts: number, count: number, from = 0): number {
  let textChars = 0;
  const byType = new Map<string, Handler>(handlers(store).map((h) => [h.type, h]));
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
      const handler = byType.get(e.type)!;
      const data = handler.schema.parse(e.data);
      handler.apply(data, { ...e, data });
    }
  }
  return textChars;
}

describe('the comments store', () => {
  it('owes a CommentUpdated for each verdict with the request id of the comment, and forgets that id once the update is in the log', () => {
    const store = createStore();
    store.addPost('p1');
    store.addComment({ id: 'c1', postId: 'p1', content: 'hello', status: 'pending' }, 2, 'req-1');
    store.addComment({ id: 'c2', postId: 'p1', content: 'world', status: 'pending' }, 3);
    expect(store.owedUpdates()).toEqual([]);
    store.recordVerdict('c2', 'approved', 'world');
    store.recordVerdict('c1', 'rejected', '');
    expect(store.owedUpdates()).toEqual([
      { id: 'c2', postId: 'p1', content: 'world', status: 'approved', requestId: undefined },
      { id: 'c1', postId: 'p1', content: '', status: 'rejected', requestId: 'req-1' },
    ]);
    store.recordUpdatePublished('c1');
    expect(store.owedUpdates()).toEqual([{ id: 'c2', postId: 'p1', content: 'world', status: 'approved', requestId: undefined }]);
    expect(store.commentsOf('p1')).toEqual([
      { id: 'c1', postId: 'p1', content: '', status: 'rejected' },
      { id: 'c2', postId: 'p1', content: 'world', status: 'approved' },
    ]);
    expect(store.commentById('c1')).toEqual({ id: 'c1', postId: 'p1', content: '', status: 'rejected' });
  });

  it("keeps a post's comments in log order, whatever order they are added in, each once", () => {
    const store = createStore();
    for (const [id, seq] of [
      ['c5', 5],
      ['c3', 3],
      ['c9', 9],
      ['c1', 1],
      ['c3', 30],
      ['c7', 7],
    ] as const)
      store.addComment({ id, postId: 'p1', content: id, status: 'pending' }, seq);
    expect(store.commentsOf('p1').map((c) => c.id)).toEqual(['c1', 'c3', 'c5', 'c7', 'c9']);
    expect(store.commentsOf('p2')).toEqual([]);
    expect(store.hasPost('p1')).toBe(false);
  });

  it('holds each stored comment in a few hundred bytes of heap: what it needs (50,000 comments in 20 posts)', () => {
    applyLog(createStore(), 20, 1000, 1_000_000); // warm up: code compiled and loaded, not measured
    gc();
    const before = process.memoryUsage().heapUsed;
    const store = createStore();
    const textChars = applyLog(store, 20, 50_000);
    gc();
    const perComment = (process.memoryUsage().heapUsed - before) / 50_000;
    // What it holds beyond the text of each comment (its id and content, ≈ 116 characters here).
    const overhead = perComment - textChars / 50_000;
    expect(store.commentsOf(store.commentById(uuid('comment 0'))!.postId)).toHaveLength(2500);
    expect(store.owedUpdates()).toEqual([]);
    // Measured on Node 20 (64-bit, no pointer compression): ≈ 265 B a comment, ≈ 145 B of it beyond the text; ≈ 650 B (530 beyond
    // the text) when each comment had a shape of its own, and its post's id and its request id as strings of its own, and its seq in a map.
    expect(overhead).toBeLessThan(250);
  });
});
