import { on } from '@posts/bus-client';
import { CommentCreated, CommentUpdated, PostCreated } from '@posts/contracts';
import type { Store } from './store';

export const handlers = (store: Store) => [
  on(PostCreated, (post, event) => store.addPost(post.id, post.title, event.seq)),
  on(CommentCreated, (c, event) => store.addComment(c.postId, c, event.seq)),
  on(CommentUpdated, (c, event) => store.updateComment(c.id, c.content, c.status, event.seq)),
];
