import { on, type Bus } from '@posts/bus-client';
import { CommentCreated, CommentModerated, CommentUpdated, PostCreated } from '@posts/contracts';
import type { Db } from './schema';
import { addComment, addPost, owedUpdates, recordUpdatesPublished, recordVerdict } from './store';

export const handlers = [
  on(PostCreated, (post, _event, tx: Db) => addPost(tx, post.id)),
  on(CommentCreated, (data, event, tx: Db) => addComment(tx, data, event.seq, event.requestId)),
  on(CommentModerated, (data, event, tx: Db) => recordVerdict(tx, data.id, data.status, data.content, event.seq, event.traceparent)),
  on(CommentUpdated, (data, _event, tx: Db) => recordUpdatesPublished(tx, [data.id])),
];

/** Pays what we owe: a CommentUpdated for every moderated comment the log lacks one for. */
export function react(bus: Bus, db: Db) {
  return async () => {
    const owed = await owedUpdates(db);
    if (owed.length === 0) return;
    await bus.publishReactions(
      CommentUpdated,
      owed.map(({ id, postId, content, status, requestId, traceparent }) => ({ data: { id, postId, content, status }, requestId, traceparent })),
    );
    await recordUpdatesPublished(
      db,
      owed.map(({ id }) => id),
    );
  };
}
