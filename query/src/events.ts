import { on } from '@posts/bus-client';
import { CommentCreated, CommentUpdated, PostCreated } from '@posts/contracts';
import type { ReadModel } from './model';
import type { Db } from './schema';
import { addComment, addPost, updateComment } from './store';

export const handlers = (model: Pick<ReadModel, 'made'>) => [
  on(PostCreated, async (post, event, tx: Db) => model.made(await addPost(tx, post.id, post.title, event.seq))),
  on(CommentCreated, async (c, event, tx: Db) => model.made(await addComment(tx, c.postId, c, event.seq))),
  on(CommentUpdated, async (c, event, tx: Db) => model.made(await updateComment(tx, c.id, c.content, c.status, event.seq))),
];
