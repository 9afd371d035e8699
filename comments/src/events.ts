import { on, z, type Bus, type SubscriberOptions } from 'event-bus/client';
import type { Store } from './store';

const status = z.enum(['pending', 'approved', 'rejected']);
const postCreated = z.object({ id: z.string().min(1) });
const comment = z.object({ id: z.string().min(1), postId: z.string().min(1), content: z.string(), status });

export function handlers(store: Store): SubscriberOptions['handlers'] {
  return {
    PostCreated: on(postCreated, (post) => store.addPost(post.id)),
    CommentCreated: on(comment, (data, event) => store.addComment({ ...data, requestId: event.requestId })),
    CommentModerated: on(comment, (data) => store.moderated(data.id, data.status, data.content)),
    CommentUpdated: on(comment, (data) => store.updated(data.id)),
  };
}

/** Pays what we owe: a CommentUpdated for every moderated comment the log lacks one for. */
export function react(bus: Bus, store: Store) {
  return async () => {
    const owed = [...store.awaitingUpdate.values()];
    if (owed.length === 0) return;
    await bus.publishReactions(
      owed.map(({ id, postId, content, status, requestId }) => ({
        id: `CommentUpdated:${id}`, // one per comment, however often we pay it
        type: 'CommentUpdated',
        data: { id, postId, content, status },
        requestId,
      })),
    );
    for (const { id } of owed) store.updated(id);
  };
}
