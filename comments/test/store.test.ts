import { heapPerComment, uuid } from '@posts/contracts/testing';
import { handlers } from '../src/events';
import { createStore } from '../src/store';

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
    // overhead: what it holds beyond the text of each comment (its id and content, ≈ 116 characters here).
    const { store, overhead } = heapPerComment(() => createStore(), handlers, 20, 50_000);
    expect(store.commentsOf(store.commentById(uuid('comment 0'))!.postId)).toHaveLength(2500);
    expect(store.owedUpdates()).toEqual([]);
    // Measured on Node 20 (64-bit, no pointer compression): ≈ 265 B a comment, ≈ 145 B of it beyond the text; ≈ 650 B (530 beyond
    // the text) when each comment had a shape of its own, and its post's id and its request id as strings of its own, and its seq in a map.
    expect(overhead).toBeLessThan(250);
  });
});
