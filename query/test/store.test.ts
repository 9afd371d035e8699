import { heapPerComment } from '@posts/contracts/testing';
import { handlers } from '../src/events';
import type { Change } from '../src/live';
import { createStore } from '../src/store';

describe('the read model', () => {
  it('shows readers only id, content and status of a comment, and tells the live stream its post', () => {
    const changes: Change[] = [];
    const store = createStore((change) => changes.push(change));
    store.addPost('p1', 'T', 1);
    store.addComment('p1', { id: 'c1', content: 'hello', status: 'pending' }, 2);
    store.addComment('p1', { id: 'c2', content: 'world', status: 'pending' }, 3);
    store.updateComment('c1', 'hello', 'approved', 4);
    const views = [
      { id: 'c1', content: 'hello', status: 'approved' },
      { id: 'c2', content: 'world', status: 'pending' },
    ];
    expect(JSON.parse([...store.jsonChunks()].join(''))).toEqual({ p1: { id: 'p1', title: 'T', comments: views } });
    expect(store.commentsPage('p1', 10)).toEqual({ items: views, nextBefore: null });
    expect(store.postsPage(10).items).toEqual([{ id: 'p1', title: 'T', commentCount: 2, comments: views, olderBefore: null }]);
    for (const items of [store.commentsPage('p1', 10)!.items, store.postsPage(10).items[0].comments]) {
      expect(items.map((c) => Object.keys(c))).toEqual([
        ['id', 'content', 'status'],
        ['id', 'content', 'status'],
      ]);
    }
    expect(changes.slice(1)).toEqual([
      { seq: 2, event: 'comment', data: { postId: 'p1', id: 'c1', content: 'hello', status: 'pending' } },
      { seq: 3, event: 'comment', data: { postId: 'p1', id: 'c2', content: 'world', status: 'pending' } },
      { seq: 4, event: 'comment-status', data: { postId: 'p1', id: 'c1', content: 'hello', status: 'approved' } },
    ]);
  });

  it('holds each stored comment in a few hundred bytes of heap: what it needs (50,000 comments in 20 posts)', () => {
    // overhead: what it holds beyond the text of each comment (its id and content, ≈ 116 characters here).
    const { store, overhead } = heapPerComment(() => createStore(), handlers, 20, 50_000);
    expect(store.postsPage(20).items.map((p) => p.commentCount)).toEqual(Array(20).fill(2500));
    // Measured on Node 20 (64-bit, no pointer compression): ≈ 265 B a comment, ≈ 145 B of it beyond the text; ≈ 350 B (230 beyond
    // the text) when each comment was two objects (its view, and that with its post's id) and had its post's id as a string of its own.
    expect(overhead).toBeLessThan(190);
  });
});
