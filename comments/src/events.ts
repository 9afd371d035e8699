import { on, type Bus } from '@posts/bus-client';
import { CommentCreated, CommentModerated, CommentUpdated, PostCreated } from '@posts/contracts';
import type { Store } from './store';

export const handlers = (store: Store) => [
  on(PostCreated, (post) => store.addPost(post.id)),
  on(CommentCreated, (data, event) => store.addComment(data, event.seq, event.requestId)),
  on(CommentModerated, (data, event) => store.recordVerdict(data.id, data.status, data.content, event.traceparent)),
  on(CommentUpdated, (data) => store.recordUpdatePublished(data.id)),
];

/** Pays what we owe: a CommentUpdated for every moderated comment the log lacks one for. */
export function react(bus: Bus, store: Store) {
  return async () => {
    const owed = store.owedUpdates();
    if (owed.length === 0) return;
    await bus.publishReactions(
      CommentUpdated,
      owed.map(({ id, postId, content, status, requestId, traceparent }) => ({ data: { id, postId, content, status }, requestId, traceparent })),
    );
    for (const { id } of owed) store.recordUpdatePublished(id);
  };
}
