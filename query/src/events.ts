import { on } from '@posts/bus-client';
import { CommentCreated, CommentUpdated, PostCreated } from '@posts/contracts';
import type { Store } from './store';

export const handlers = (store: Store) => [
  on(PostCreated, (post) => store.addPost(post.id, post.title)),
  on(CommentCreated, (c) => store.addComment(c.postId, c)),
  on(CommentUpdated, (c) => store.updateComment(c.id, c.content, c.status)),
];
