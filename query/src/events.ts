import { on, z, type SubscriberOptions } from 'event-bus/client';
import type { Store } from './store';

const status = z.enum(['pending', 'approved', 'rejected']);
const postCreated = z.object({ id: z.string().min(1), title: z.string() });
const comment = z.object({ id: z.string().min(1), postId: z.string().min(1), content: z.string(), status });

export function handlers(store: Store): SubscriberOptions['handlers'] {
  return {
    PostCreated: on(postCreated, (post) => store.addPost(post.id, post.title)),
    CommentCreated: on(comment, (c) => store.addComment(c.postId, c)),
    CommentUpdated: on(comment, (c) => store.updateComment(c.id, c.content, c.status)),
  };
}
